/* What the command writes: the device list and the result, as text and as
 * strict JSON (RFC 8259: no inf or nan, valid UTF-8 strings). */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_length(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void cli_json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    putc('"', out);
    while (*p) {
        size_t len = utf8_length(p);
        if (len == 0) {
            fputs("\\ufffd", out); /* a device or file name that is not UTF-8 */
            p++;
        } else if (len > 1) {
            fwrite(p, 1, len, out);
            p += len;
        } else {
            if (*p == '"' || *p == '\\')
                fprintf(out, "\\%c", *p);
            else if (*p < 0x20 || *p == 0x7F)
                fprintf(out, "\\u%04x", *p);
            else
                putc(*p, out);
            p++;
        }
    }
    putc('"', out);
}

void cli_json_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}

static void json_array(FILE *out, const double *v, size_t n)
{
    putc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        cli_json_number(out, v[i]);
    }
    putc(']', out);
}

static void format_bytes(char *out, size_t size, uint64_t bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, size, "%.1f %s", v, units[u]);
}

void cli_print_devices_json(FILE *out, const clbfgs_device_info *list, size_t count)
{
    fputc('[', out);
    for (size_t i = 0; i < count; i++) {
        const clbfgs_device_info *d = &list[i];
        fprintf(out,
                "%s\n  {\"index\": %u, \"platform_index\": %u, \"device_index\": %u, \"type\": ",
                i ? "," : "", d->index, d->platform_index, d->device_index);
        cli_json_string(out, clbfgs_device_type_name(d->type));
        fputs(", \"name\": ", out);
        cli_json_string(out, d->name);
        fputs(", \"vendor\": ", out);
        cli_json_string(out, d->vendor);
        fputs(", \"platform\": ", out);
        cli_json_string(out, d->platform_name);
        fputs(", \"opencl_version\": ", out);
        cli_json_string(out, d->opencl_version);
        fputs(", \"driver_version\": ", out);
        cli_json_string(out, d->driver_version);
        fprintf(out,
                ", \"fp64\": %s, \"global_mem_bytes\": %llu, \"max_alloc_bytes\": %llu, "
                "\"compute_units\": %u}",
                d->has_fp64 ? "true" : "false", (unsigned long long)d->global_mem_bytes,
                (unsigned long long)d->max_alloc_bytes, d->compute_units);
    }
    fputs("\n]\n", out);
}

void cli_print_devices_table(FILE *out, const clbfgs_device_info *list, size_t count)
{
    /* The name column is as wide as the longest name: a name is how a user
     * picks a device (and greps for it), so it is never cut. */
    int width = 4;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(list[i].name);
        if (len > (size_t)width)
            width = len > 1000 ? 1000 : (int)len;
    }
    fprintf(out, "%-3s %-5s %-5s %-*s %-6s %-4s %-10s %-10s %s\n", "#", "P:D", "type", width,
            "name", "OpenCL", "fp64", "memory", "max alloc", "CUs");
    for (size_t i = 0; i < count; i++) {
        const clbfgs_device_info *d = &list[i];
        char pd[24], mem[32], alloc[32], version[16] = "?";
        /* "OpenCL 3.0 vendor-specific..." -> "3.0"; the full string is below. */
        sscanf(d->opencl_version, "OpenCL %15s", version);
        snprintf(pd, sizeof pd, "%u:%u", d->platform_index, d->device_index);
        format_bytes(mem, sizeof mem, d->global_mem_bytes);
        format_bytes(alloc, sizeof alloc, d->max_alloc_bytes);
        fprintf(out, "%-3u %-5s %-5s %-*s %-6s %-4s %-10s %-10s %u\n", d->index, pd,
                clbfgs_device_type_name(d->type), width, d->name, version,
                d->has_fp64 ? "yes" : "no", mem, alloc, d->compute_units);
        fprintf(out, "    platform: %s; vendor: %s; driver: %s; %s\n", d->platform_name, d->vendor,
                d->driver_version, d->opencl_version);
    }
}

void cli_print_result(FILE *out, const clbfgs_result *r, const clbfgs_device_info *dev,
                      const char *problem, int json)
{
    const char *precision = r->precision == CLBFGS_PRECISION_FLOAT ? "float" : "double";
    const clbfgs_timings *t = &r->time;
    if (json) {
        fputs("{\"problem\": ", out);
        cli_json_string(out, problem);
        fprintf(out, ", \"n\": %zu, \"status\": %d, \"success\": %s, \"message\": ", r->n,
                r->status, r->success ? "true" : "false");
        cli_json_string(out, r->message);
        fputs(", \"fun\": ", out);
        cli_json_number(out, r->fun);
        fprintf(out,
                ", \"nit\": %zu, \"nfev\": %zu, \"njev\": %zu, \"skipped_updates\": %zu, "
                "\"precision\": \"%s\", \"device\": ",
                r->nit, r->nfev, r->njev, r->skipped_updates, precision);
        cli_json_string(out, dev->name);
        fputs(", \"platform\": ", out);
        cli_json_string(out, dev->platform_name);
        const double times[] = {t->total,          t->setup,        t->line_search,
                                t->hessian,        t->callback,     t->device_objective,
                                t->device_hessian, t->device_other, t->device_transfer};
        const char *names[] = {"total",          "setup",        "line_search",
                               "hessian",        "callback",     "device_objective",
                               "device_hessian", "device_other", "device_transfer"};
        fputs(", \"time\": {", out);
        for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
            fprintf(out, "\"%s\": ", names[i]);
            if (isfinite(times[i]))
                fprintf(out, "%.6f", times[i]);
            else
                fputs("null", out);
            fputs(", ", out);
        }
        fprintf(out, "\"syncs\": %zu, \"launches\": %zu, \"hessian_bytes\": %.17g}, \"x\": ",
                t->syncs, t->launches, t->hessian_bytes);
        json_array(out, r->x, r->x ? r->n : 0);
        fputs(", \"jac\": ", out);
        json_array(out, r->jac, r->jac ? r->n : 0);
        fputs("}\n", out);
        return;
    }
    double gmax = 0;
    for (size_t i = 0; r->jac && i < r->n; i++)
        gmax = fabs(r->jac[i]) > gmax || isnan(r->jac[i]) ? fabs(r->jac[i]) : gmax;
    fprintf(out, "%s\n", r->message);
    fprintf(out, "  problem:      %s, n = %zu, %s precision\n", problem, r->n, precision);
    fprintf(out, "  device:       %s [%s]\n", dev->name, dev->platform_name);
    fprintf(out, "  fun:          %.17g\n", r->fun);
    fprintf(out, "  status:       %d (success: %s)\n", r->status, r->success ? "yes" : "no");
    fprintf(out, "  nit:          %zu\n  nfev:         %zu\n  njev:         %zu\n", r->nit, r->nfev,
            r->njev);
    fprintf(out, "  max |jac|:    %.3e\n", gmax);
    fprintf(out, "  x[0..%zu]:     ", r->n < 5 ? r->n - 1 : 4);
    for (size_t i = 0; r->x && i < r->n && i < 5; i++)
        fprintf(out, "%s%.10g", i ? ", " : "", r->x[i]);
    fprintf(out, "%s\n", r->n > 5 ? ", ..." : "");
    fprintf(out, "  time:         %.3f s (setup %.3f, line search %.3f, H %.3f)\n", t->total,
            t->setup, t->line_search, t->hessian);
    fprintf(out, "  device calls: %zu syncs, %zu kernel launches in the iterations\n", t->syncs,
            t->launches);
    double dev_total =
        t->device_objective + t->device_hessian + t->device_other + t->device_transfer;
    if (dev_total > 0)
        fprintf(out,
                "  device time:  %.3f s (objective %.3f, H %.3f, other %.3f, transfers %.3f), "
                "%zu syncs\n",
                dev_total, t->device_objective, t->device_hessian, t->device_other,
                t->device_transfer, t->syncs);
}

void cli_print_batch_records(FILE *out, const clbfgs_batch_result *r)
{
    for (size_t p = 0; p < r->P; p++) {
        int status = r->status[p];
        fprintf(out, "{\"problem\": %zu, \"status\": %d, \"success\": %s, \"message\": ", p, status,
                status == 0 ? "true" : "false");
        cli_json_string(out, clbfgs_status_message(status));
        fputs(", \"fun\": ", out);
        cli_json_number(out, r->fun[p]);
        fprintf(out, ", \"nit\": %zu, \"nfev\": %zu, \"njev\": %zu, \"x\": ", r->nit[p], r->nfev[p],
                r->njev[p]);
        json_array(out, r->x + p * r->n, r->n);
        fputs("}\n", out);
    }
}

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int cli_print_batch_summary(FILE *out, const clbfgs_batch_result *r, const clbfgs_device_info *dev,
                            const char *problem, int json)
{
    /* Sorted copies give the median and each status's count in one pass. */
    size_t *nit = r->P ? malloc(r->P * sizeof *nit) : NULL;
    int *status = r->P ? malloc(r->P * sizeof *status) : NULL;
    if (r->P && (!nit || !status)) {
        free(nit);
        free(status);
        return cli_out_of_memory("for the batch's summary");
    }
    for (size_t p = 0; p < r->P; p++) {
        nit[p] = r->nit[p];
        status[p] = r->status[p];
    }
    qsort(nit, r->P, sizeof *nit, compare_size);
    qsort(status, r->P, sizeof *status, compare_int);
    size_t nit_min = r->P ? nit[0] : 0, nit_max = r->P ? nit[r->P - 1] : 0;
    double median = r->P == 0       ? (double)NAN
                    : r->P % 2 == 1 ? (double)nit[r->P / 2]
                                    : ((double)nit[r->P / 2 - 1] + (double)nit[r->P / 2]) / 2;
    double rate = r->total > 0 ? (double)r->P / r->total : (double)NAN;
    const char *precision = r->precision == CLBFGS_PRECISION_FLOAT ? "float" : "double";
    if (json) {
        fputs("{\"problem\": ", out);
        cli_json_string(out, problem);
        fprintf(out,
                ", \"P\": %zu, \"n\": %zu, \"converged\": %zu, \"success\": %s, \"statuses\": [",
                r->P, r->n, r->converged, r->converged == r->P ? "true" : "false");
    } else {
        fprintf(out, "%zu of %zu problems converged\n", r->converged, r->P);
        fprintf(out, "  problem:      %s, n = %zu, P = %zu, %s precision\n", problem, r->n, r->P,
                precision);
        fprintf(out, "  device:       %s [%s]\n", dev->name, dev->platform_name);
    }
    int first = 1;
    for (size_t i = 0, j; i < r->P; i = j) {
        for (j = i; j < r->P && status[j] == status[i]; j++)
            ;
        if (json) {
            fprintf(out, "%s{\"status\": %d, \"count\": %zu, \"message\": ", first ? "" : ", ",
                    status[i], j - i);
            cli_json_string(out, clbfgs_status_message(status[i]));
            putc('}', out);
        } else {
            char label[32];
            snprintf(label, sizeof label, "status %d:", status[i]);
            fprintf(out, "  %-14s%zu: %s\n", label, j - i, clbfgs_status_message(status[i]));
        }
        first = 0;
    }
    if (json) {
        fprintf(out, "], \"nit\": {\"min\": %zu, \"median\": ", nit_min);
        cli_json_number(out, median);
        fprintf(out, ", \"max\": %zu}, \"precision\": \"%s\", \"device\": ", nit_max, precision);
        cli_json_string(out, dev->name);
        fputs(", \"platform\": ", out);
        cli_json_string(out, dev->platform_name);
        fprintf(out,
                ", \"local_hessian\": %s, \"work_items\": %zu, \"time\": {\"total\": %.6f, "
                "\"setup\": %.6f}, \"fits_per_s\": ",
                r->local_hessian ? "true" : "false", r->work_items, r->total, r->setup);
        cli_json_number(out, rate);
        fputs("}\n", out);
    } else {
        fprintf(out, "  nit:          min %zu, median %g, max %zu\n", nit_min, median, nit_max);
        fprintf(out, "  time:         %.3f s (setup %.3f), %.1f fits/s\n", r->total, r->setup,
                rate);
        fprintf(out, "  H:            %s, %zu problems at once\n",
                r->local_hessian ? "in local memory"
                                 : "in global memory (local memory is too small for n)",
                r->work_items);
    }
    free(nit);
    free(status);
    return EXIT_OK;
}

int cli_close_stdout(void)
{
    /* A write that failed (a full disk, a closed pipe) fails the command:
     * printf's lost output is only seen here. */
    errno = 0;
    int failed = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        err = errno;
    }
    if (!failed)
        return EXIT_OK;
    fprintf(stderr, "clbfgs: cannot write the output: %s\n",
            err ? strerror(err) : "a write failed");
    return EXIT_HOST;
}
