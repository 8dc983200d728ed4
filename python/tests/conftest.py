"""Shared fixtures of the clbfgs package's tests.

Every test that draws random inputs takes the `rng` fixture: a fresh seed per
test, printed (pytest shows it with a failure) and recorded in the report;
CLBFGS_TEST_SEED=N replays one.

The tests share one clbfgs.Context per device selector (the package keeps
them per thread), so each kernel is compiled once per process; pocl compiles
slowly, so the suite keeps to a handful of kernel sources (see _common.py).
"""
import os

import numpy as np
import pytest


@pytest.fixture
def rng(request):
    env = os.environ.get("CLBFGS_TEST_SEED")
    seed = int(env) if env else np.random.SeedSequence().entropy
    print(f"random seed: CLBFGS_TEST_SEED={seed}")
    request.node.user_properties.append(("seed", seed))
    return np.random.default_rng(seed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        seeds = [v for k, v in item.user_properties if k == "seed"]
        if seeds:
            report.sections.append(("random seed", f"replay with CLBFGS_TEST_SEED={seeds[0]}"))


def pytest_report_header(config):
    try:
        import clbfgs
        dev = clbfgs.select_device(None)
        return [f"clbfgs {clbfgs.__version__} (library {clbfgs.library_version}, "
                f"{clbfgs.LIBRARY_PATH})", f"clbfgs device: {dev}"]
    except Exception as e:  # the tests themselves will say what is wrong
        return [f"clbfgs: {type(e).__name__}: {e}"]
