/* clbfgs devices: every OpenCL device, as a table or as JSON. */
#include "cli.h"

int cli_devices(int argc, char **argv)
{
    enum { OPT_JSON = 256 };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {NULL, 0, NULL, 0}};
    int json = 0;
    cli_args args;
    cli_args_init(&args, argc, argv, options);
    const char *value;
    for (int c; (c = cli_args_next(&args, &value)) != CLI_END;) {
        if (c == CLI_ERROR)
            return EXIT_USAGE;
        if (c == CLI_POSITIONAL)
            return cli_usage_error("devices: unexpected argument '%s'", value);
        json = 1; /* OPT_JSON, the only option */
    }
    clbfgs_device_info *list = NULL;
    size_t count = 0;
    clbfgs_status status = clbfgs_devices(&list, &count);
    if (status != CLBFGS_SUCCESS)
        return cli_library_error(status);
    if (json)
        cli_print_devices_json(stdout, list, count);
    else
        cli_print_devices_table(stdout, list, count);
    clbfgs_devices_free(list);
    return EXIT_OK;
}
