/* clbfgs build: compile an OpenCL file as the library would, showing the
 * build log on failure. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_read_cl_source(const char *option, const char *file, char **out)
{
    char *text;
    *out = NULL;
    int rc = cli_read_file(option, file, CLI_MAX_FILE_BYTES, &text);
    if (rc != EXIT_OK)
        return rc;
    /* A #line in front, so compiler messages name the file and its lines;
     * the name is a C string there, so quotes, backslashes and line breaks in
     * it are escaped or replaced. */
    size_t flen = strlen(file), tlen = strlen(text);
    char *source = malloc(2 * flen + tlen + 16);
    if (!source) {
        free(text);
        return cli_out_of_memory("reading an OpenCL file");
    }
    char *p = source;
    p += sprintf(p, "#line 1 \"");
    for (const char *f = file; *f; f++) {
        if (*f == '"' || *f == '\\')
            *p++ = '\\';
        *p++ = *f == '\n' || *f == '\r' ? '?' : *f;
    }
    p += sprintf(p, "\"\n");
    memcpy(p, text, tlen + 1);
    free(text);
    *out = source;
    return EXIT_OK;
}

char *cli_path_with_dir(const char *file)
{
    size_t len = strlen(file) + 3;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s%s", strchr(file, '/') ? "" : "./", file);
    return path;
}

/* "-I DIR OPTIONS" when the source includes anything: the file's directory
 * first, as clbfgs_objective_source does for a named source, so #include
 * "x.h" beside the file is found (clbfgs_program_build takes no name).
 * Quoted when it holds white space (which pocl 3.1 cannot take at all);
 * "./" in front of a directory that would read as an option. */
static char *options_with_dir(const char *file, const char *source, const char *options)
{
    const char *slash = strrchr(file, '/');
    const char *dir = slash ? file : ".";
    int dir_len = slash ? (slash == file ? 1 : (int)(slash - file)) : 1;
    int quote = strcspn(dir, " \t\n\r\v\f'") < (size_t)dir_len;
    const char *dot = dir[0] == '-' ? "./" : "";
    /* as the library does for a named source: only for a source that may
     * read a header, and never a directory no option can carry */
    if ((!strstr(source, "include") && !strstr(source, "import")) ||
        memchr(dir, '"', (size_t)dir_len))
        dir_len = 0;
    size_t len = (size_t)dir_len + (options ? strlen(options) : 0) + 16;
    char *out = malloc(len);
    if (out && dir_len)
        snprintf(out, len, "-I %s%s%.*s%s%s%s", quote ? "\"" : "", dot, dir_len, dir,
                 quote ? "\"" : "", options ? " " : "", options ? options : "");
    else if (out)
        snprintf(out, len, "%s", options ? options : "");
    return out;
}

int cli_build(int argc, char **argv)
{
    enum { OPT_PRECISION = 256, OPT_DEVICE, OPT_OPTIONS, OPT_VERBOSE };
    static const struct option options[] = {{"precision", required_argument, NULL, OPT_PRECISION},
                                            {"device", required_argument, NULL, OPT_DEVICE},
                                            {"options", required_argument, NULL, OPT_OPTIONS},
                                            {"verbose", no_argument, NULL, OPT_VERBOSE},
                                            {NULL, 0, NULL, 0}};
    const char *file = NULL, *build_options = NULL;
    clbfgs_context_options copts;
    clbfgs_context_options_init(&copts);
    clbfgs_precision precision = CLBFGS_PRECISION_AUTO;
    int verbose = 0, rc;
    cli_args args;
    cli_args_init(&args, argc, argv, options);
    const char *v;
    for (int c; (c = cli_args_next(&args, &v)) != CLI_END;) {
        switch (c) {
        case CLI_ERROR: return EXIT_USAGE;
        case CLI_POSITIONAL:
            if (file)
                return cli_usage_error("build: one file only ('%s' is extra)", v);
            file = v;
            break;
        case OPT_PRECISION:
            if ((rc = cli_parse_precision("--precision", v, &precision)) != EXIT_OK)
                return rc;
            break;
        case OPT_DEVICE: copts.device = v; break;
        case OPT_OPTIONS: build_options = v; break;
        case OPT_VERBOSE: verbose = 1; break;
        }
    }
    if (!file)
        return cli_usage_error("build: %s", "which .cl file?");
    char *source;
    if ((rc = cli_read_cl_source("build", file, &source)) != EXIT_OK)
        return rc;
    char *all_options = options_with_dir(file, source, build_options);
    if (!all_options) {
        free(source);
        return cli_out_of_memory("the build options");
    }
    copts.log = cli_log;
    copts.log_level = verbose ? CLBFGS_LOG_DEBUG : CLBFGS_LOG_WARNING;
    clbfgs_context *ctx = NULL;
    cl_program program = NULL;
    clbfgs_program_origin origin;
    clbfgs_status status = clbfgs_context_new(&ctx, &copts);
    if (status == CLBFGS_SUCCESS)
        status = clbfgs_program_build(ctx, source, all_options, precision, &program, &origin);
    free(all_options);
    rc = EXIT_OK;
    if (status != CLBFGS_SUCCESS) {
        rc = cli_library_error(status);
    } else {
        clbfgs_device_info info;
        clbfgs_context_device(ctx, &info);
        printf("%s: built for %s (%s)\n", file, info.name,
               origin == CLBFGS_PROGRAM_DISK_CACHE ? "from the disk cache" : "compiled");
        clReleaseProgram(program);
    }
    clbfgs_context_free(ctx);
    free(source);
    return rc;
}
