/* An objective as OpenCL source: denoise.cl's kernel, with the noisy signal
 * and two scalars as extra kernel arguments. A step signal with noise goes
 * in; the error against the clean signal comes out smaller.
 * Usage: denoise [FILE.cl] (default: the denoise.cl beside this example) */
#include <clbfgs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "."
#endif

#define N 2000

static char *read_file(const char *path)
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

static double rms(const double *a, const double *b)
{
    double s = 0;
    for (int i = 0; i < N; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s / N);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : EXAMPLES_DIR "/denoise.cl";
    char *source = read_file(path);
    if (!source) {
        fprintf(stderr, "denoise: cannot read %s\n", path);
        return 2;
    }
    /* a clean step signal and a noisy copy (a fixed, portable generator) */
    static double clean[N], noisy[N];
    unsigned long state = 12345;
    for (int i = 0; i < N; i++) {
        clean[i] = (i / 400) % 2 ? 1.0 : -0.5;
        double u = 0;
        for (int k = 0; k < 12; k++) { /* about Gaussian, sd 1 */
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            u += (double)(state >> 11) / 9007199254740992.0;
        }
        noisy[i] = clean[i] + 0.3 * (u - 6);
    }

    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_result res = {0};
    clbfgs_source_options so;
    clbfgs_source_options_init(&so);
    so.name = path; /* build errors name the file */
    int rc = 1;
    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_source(&obj, source, "denoise", &so) != CLBFGS_SUCCESS ||
        clbfgs_objective_set_arg_reals(obj, 4, noisy, N) != CLBFGS_SUCCESS || /* d */
        clbfgs_objective_set_arg_real(obj, 5, 0.5) != CLBFGS_SUCCESS ||      /* lambda */
        clbfgs_objective_set_arg_real(obj, 6, 1e-4) != CLBFGS_SUCCESS ||     /* beta */
        clbfgs_minimize(ctx, obj, N, noisy, NULL, &res) != CLBFGS_SUCCESS) {
        fprintf(stderr, "denoise: %s\n", clbfgs_last_error());
    } else {
        printf("%s (%zu iterations, %.2f s)\n", res.message, res.nit, res.time.total);
        printf("rms error against the clean signal: noisy %.4f, denoised %.4f\n",
               rms(noisy, clean), rms(res.x, clean));
        rc = res.success && rms(res.x, clean) < rms(noisy, clean) ? 0 : 1;
    }
    clbfgs_result_free(&res);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    free(source);
    return rc;
}
