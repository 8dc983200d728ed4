/* The C side of the batch suite (`bench/run batch`, which runs
 * bench/batch.py): the Gaussian spot fits of examples/spots.c (n = 5, one
 * 9x9 image each, the same images and starts: examples/spots_images.h),
 * solved
 *
 *   - by clbfgs_minimize_batch, for each P of the list (the first P
 *     problems), and
 *   - by a host loop over clbfgs_minimize on the first K problems (the
 *     subset), one objective whose image argument is set again for each
 *     problem, with the default options (so clbfgs_minimize picks its own
 *     tier, as a user's loop would get).
 *
 *   clbfgs-batch-bench --dir DIR [--P 1000,10000,100000] [--subset K]
 *                      [--reps R] [--max-seconds S] [--seed S] [--cl FILE]
 *                      [--device SEL]
 *
 * Writes DIR/images.npy (K x 81) and DIR/x0.npy (K x 5), the subset's
 * problems, for SciPy's loop in bench/batch.py, and prints one JSON object:
 * each batch's median total (clbfgs_batch_result.total) over R runs (3),
 * after one untimed batch that builds the program and uploads the images;
 * the solo loop's median wall time over up to R loops (fewer once they
 * have taken S seconds, 60); and, for the subset, each problem's status, f
 * and nit from every side, for bench/batch.py to compare. */
#include <clbfgs.h>

#include "bench.h"
#include "../examples/spots_images.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "examples"
#endif

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (text && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* NumPy's .npy format, version 1.0: a rows x cols float64 array, C order. */
static int write_npy(const char *dir, const char *name, const double *v, size_t rows, size_t cols)
{
    char path[4096], header[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int len =
        snprintf(header, sizeof header,
                 "{'descr': '<f8', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    int total = (10 + len + 1 + 63) / 64 * 64; /* magic, version, length, header, '\n' */
    unsigned short hlen = (unsigned short)(total - 10);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fputs(header, f);
    for (int k = 10 + len; k < total - 1; k++)
        fputc(' ', f);
    fputc('\n', f);
    size_t wrote = fwrite(v, sizeof *v, rows * cols, f);
    return fclose(f) == 0 && wrote == rows * cols ? 0 : -1;
}

/* Each problem's outcome, for the subset. */
struct outcome {
    int *status;
    double *fun;
    size_t *nit;
};

static void print_outcome(const struct outcome *o, size_t K)
{
    printf("\"status\": [");
    for (size_t p = 0; p < K; p++)
        printf("%s%d", p ? ", " : "", o->status[p]);
    printf("], \"fun\": [");
    for (size_t p = 0; p < K; p++)
        printf("%s%.17g", p ? ", " : "", o->fun[p]);
    printf("], \"nit\": [");
    for (size_t p = 0; p < K; p++)
        printf("%s%zu", p ? ", " : "", o->nit[p]);
    printf("]");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *device = NULL, *cl = EXAMPLES_DIR "/spots.cl";
    const char *sizes = "1000,10000,100000";
    size_t K = 1000, reps = 3;
    uint64_t seed = 2026;
    double max_seconds = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--dir") == 0)
            dir = v;
        else if (strcmp(k, "--device") == 0)
            device = v;
        else if (strcmp(k, "--cl") == 0)
            cl = v;
        else if (strcmp(k, "--P") == 0)
            sizes = v;
        else if (strcmp(k, "--subset") == 0)
            K = strtoull(v, NULL, 10);
        else if (strcmp(k, "--reps") == 0)
            reps = strtoull(v, NULL, 10);
        else if (strcmp(k, "--max-seconds") == 0)
            max_seconds = strtod(v, NULL);
        else if (strcmp(k, "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "clbfgs-batch-bench: bad option %s %s\n", k, v);
            return 2;
        }
    }
    size_t Ps[16], nP = 0, Pmax = 0;
    for (const char *s = sizes; *s && nP < 16;) {
        char *end;
        Ps[nP] = strtoull(s, &end, 10);
        if (end == s || Ps[nP] == 0)
            break;
        Pmax = Ps[nP] > Pmax ? Ps[nP] : Pmax;
        nP++;
        s = *end == ',' ? end + 1 : end;
    }
    if (!dir || argc % 2 == 0 || nP == 0 || K == 0 || reps == 0 || reps > 64 || K > Pmax) {
        fprintf(stderr, "usage: clbfgs-batch-bench --dir DIR [--P P1,P2,...] [--subset K <= max P] "
                        "[--reps 1..64] [--max-seconds S] [--seed S] [--cl FILE] "
                        "[--device SEL]\n");
        return 2;
    }

    char *source = read_text(cl);
    double *truth = malloc(Pmax * SPOTS_N * sizeof *truth);
    double *images = malloc(Pmax * SPOTS_PIXELS * sizeof *images);
    double *x0 = malloc(Pmax * SPOTS_N * sizeof *x0), *times = calloc(reps, sizeof *times);
    struct outcome *outs = calloc(nP + 1, sizeof *outs); /* each P's, then the solo loop's */
    int oom = !truth || !images || !x0 || !times || !outs;
    for (size_t k = 0; !oom && k <= nP; k++) {
        outs[k] = (struct outcome){malloc(K * sizeof(int)), malloc(K * sizeof(double)),
                                   malloc(K * sizeof(size_t))};
        oom = !outs[k].status || !outs[k].fun || !outs[k].nit;
    }
    clbfgs_context *ctx = NULL;
    clbfgs_objective *batch = NULL, *solo = NULL;
    clbfgs_device_info dev;
    int rc = 1;
    if (!source || oom) {
        fprintf(stderr, "clbfgs-batch-bench: cannot read %s, or out of memory\n", cl);
        goto done;
    }
    for (size_t p = 0; p < Pmax; p++)
        spots_problem(seed, p, truth + p * SPOTS_N, images + p * SPOTS_PIXELS, x0 + p * SPOTS_N);
    if (write_npy(dir, "images.npy", images, K, SPOTS_PIXELS) ||
        write_npy(dir, "x0.npy", x0, K, SPOTS_N)) {
        fprintf(stderr, "clbfgs-batch-bench: cannot write the problems into %s\n", dir);
        goto done;
    }

    char defines[32];
    snprintf(defines, sizeof defines, "-DSPOT_SIDE=%d", SPOTS_SIDE);
    clbfgs_context_options co;
    clbfgs_context_options_init(&co);
    co.device = device;
    clbfgs_terms_options to;
    clbfgs_terms_options_init(&to);
    to.name = cl;
    to.args = "__global const real *image";
    to.least_squares = 1;
    to.build_options = defines;
    if (clbfgs_context_new(&ctx, &co) != CLBFGS_SUCCESS ||
        clbfgs_context_device(ctx, &dev) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&batch, source, "spot", SPOTS_PIXELS, &to) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(batch, 0, images, Pmax * SPOTS_PIXELS) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_per_problem(batch, 0, SPOTS_PIXELS) != CLBFGS_SUCCESS ||
        clbfgs_objective_terms(&solo, source, "spot", SPOTS_PIXELS, &to) != CLBFGS_SUCCESS) {
        fprintf(stderr, "clbfgs-batch-bench: %s\n", clbfgs_last_error());
        goto done;
    }

    /* the batches: one untimed (the program built, the images uploaded),
     * then reps of each P */
    double seconds[16], setup[16];
    size_t converged[16], work_items[16];
    int local_hessian[16];
    clbfgs_precision precision = CLBFGS_PRECISION_AUTO;
    for (size_t k = 0; k <= nP; k++) {
        const size_t P = k ? Ps[k - 1] : (K < 256 ? K : 256);
        double setups[64];
        for (size_t r = 0; r < (k ? reps : 1); r++) {
            clbfgs_batch_result res;
            if (clbfgs_minimize_batch(ctx, batch, SPOTS_N, P, x0, NULL, &res) != CLBFGS_SUCCESS) {
                fprintf(stderr, "clbfgs-batch-bench: P = %zu: %s\n", P, clbfgs_last_error());
                clbfgs_batch_result_free(&res);
                goto done;
            }
            if (k) {
                times[r] = res.total;
                setups[r] = res.setup;
                converged[k - 1] = res.converged;
                work_items[k - 1] = res.work_items;
                local_hessian[k - 1] = res.local_hessian;
                precision = res.precision;
                for (size_t p = 0; p < K && p < P; p++) {
                    outs[k - 1].status[p] = res.status[p];
                    outs[k - 1].fun[p] = res.fun[p];
                    outs[k - 1].nit[p] = res.nit[p];
                }
            }
            clbfgs_batch_result_free(&res);
        }
        if (k) {
            seconds[k - 1] = median(times, reps);
            setup[k - 1] = median(setups, reps);
            fprintf(stderr, "batch: P = %zu: %.3f s, %.0f fits/s\n", P, seconds[k - 1],
                    (double)P / seconds[k - 1]);
        }
    }

    /* the solo loop: one clbfgs_minimize per problem, the image argument
     * set again each time (as a loop over files would), after one untimed
     * run that builds its programs */
    struct outcome *so = &outs[nP];
    size_t loops = 0;
    double spent = 0;
    for (int warm = 1; warm >= 0; warm--) {
        for (size_t r = 0; warm ? r < 1 : r < reps && (r == 0 || spent < max_seconds); r++) {
            double t0 = now();
            for (size_t p = 0; p < (warm ? 1 : K); p++) {
                clbfgs_result res;
                if (clbfgs_objective_set_arg_reals(solo, 0, images + p * SPOTS_PIXELS,
                                                   SPOTS_PIXELS) != CLBFGS_SUCCESS ||
                    clbfgs_minimize(ctx, solo, SPOTS_N, x0 + p * SPOTS_N, NULL, &res) !=
                        CLBFGS_SUCCESS) {
                    fprintf(stderr, "clbfgs-batch-bench: solo, problem %zu: %s\n", p,
                            clbfgs_last_error());
                    clbfgs_result_free(&res);
                    goto done;
                }
                so->status[p] = res.status;
                so->fun[p] = res.fun;
                so->nit[p] = res.nit;
                clbfgs_result_free(&res);
            }
            if (!warm) {
                times[loops++] = now() - t0;
                spent += times[loops - 1];
            }
        }
    }
    const double solo_seconds = median(times, loops);
    fprintf(stderr, "batch: solo loop over %zu problems: %.3f s, %.0f fits/s\n", K, solo_seconds,
            (double)K / solo_seconds);

    printf("{\"n\": %d, \"pixels\": %d, \"seed\": %llu, \"subset\": %zu, \"reps\": %zu, "
           "\"device\": \"%s\", \"platform\": \"%s\", \"device_type\": \"%s\", "
           "\"precision\": \"%s\",\n \"batch\": [",
           SPOTS_N, SPOTS_PIXELS, (unsigned long long)seed, K, reps, dev.name, dev.platform_name,
           clbfgs_device_type_name(dev.type),
           precision == CLBFGS_PRECISION_FLOAT ? "float" : "double");
    for (size_t k = 0; k < nP; k++) {
        printf("%s\n  {\"P\": %zu, \"seconds\": %.6e, \"setup\": %.6e, \"converged\": %zu, "
               "\"work_items\": %zu, \"local_hessian\": %d, ",
               k ? "," : "", Ps[k], seconds[k], setup[k], converged[k], work_items[k],
               local_hessian[k]);
        print_outcome(&outs[k], K < Ps[k] ? K : Ps[k]);
        printf("}");
    }
    printf("],\n \"solo\": {\"problems\": %zu, \"seconds\": %.6e, \"reps\": %zu, ", K, solo_seconds,
           loops);
    print_outcome(so, K);
    printf("}}\n");
    rc = 0;
done:
    clbfgs_objective_free(batch);
    clbfgs_objective_free(solo);
    clbfgs_context_free(ctx);
    for (size_t k = 0; outs && k <= nP; k++) {
        free(outs[k].status);
        free(outs[k].fun);
        free(outs[k].nit);
    }
    free(outs);
    free(source);
    free(truth);
    free(images);
    free(x0);
    free(times);
    return rc;
}
