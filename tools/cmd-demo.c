/* clbfgs demo: minimize SciPy's rosen, the README's first run. */
#include "cli.h"

int cli_demo(int argc, char **argv)
{
    /* minimize's run with the problem fixed: only n and the device vary. */
    static const struct option options[] = {{"n", required_argument, NULL, CLI_OPT_N},
                                            {"device", required_argument, NULL, CLI_OPT_DEVICE},
                                            {NULL, 0, NULL, 0}};
    return cli_minimize_with(argc, argv, options, 1);
}
