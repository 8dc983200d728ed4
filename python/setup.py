"""Records, in the installed package, the clone it was installed from, so
that `pip install ./python` from a built clone finds that clone's
.libs/libclbfgs.so without configuration (clbfgs/_lib.py looks there after
$CLBFGS_LIBRARY and before the system's library directories). The metadata
is in pyproject.toml; nothing here is compiled."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_build_tree(build_py):
    def run(self):
        super().run()
        clone = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if os.path.isdir(os.path.join(clone, ".libs")):
            target = os.path.join(self.build_lib, "clbfgs", "_build_tree.py")
            with open(target, "w") as f:
                f.write("# written by setup.py: the clone this package was installed from\n")
                f.write(f"BUILD_TREE = {clone!r}\n")


setup(cmdclass={"build_py": build_py_with_build_tree})
