/* A device callback: the objective enqueues its own work on the library's
 * queue. Here a logistic regression on data held on the device, written as
 * a user would: CLBlast GEMVs for z = A w and g = A^T r, a small kernel of
 * our own for the elementwise part, and CLBlast's sum for f. The same model
 * then runs through the built-in clbfgs_objective_logistic; the two agree.
 *
 *   f(w) = sum_i log(1 + exp(-t_i a_i.w)) + lambda/2 |w|^2,  t_i = +-1 */
#include <clbfgs.h>
#include <clblast_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define M 2000 /* examples */
#define N 20   /* features */

/* r_i = d loss_i / d z_i and loss_i; the regulariser's part of f and g. */
static const char elementwise_source[] =
    "__kernel void loss(__global real *z, __global const real *t, __global real *terms,\n"
    "                   __global const real *w, __global real *g, const real lambda,\n"
    "                   const uint m, const uint n)\n"
    "{\n"
    "    const size_t i = get_global_id(0);\n"
    "    if (i < m) {\n"
    "        const real margin = t[i] * z[i];\n"
    "        terms[i] = margin > 0 ? log1p(exp(-margin)) : log1p(exp(margin)) - margin;\n"
    "        z[i] = -t[i] / (1 + exp(margin));\n"
    "    }\n"
    "    if (i < n) {\n"
    "        terms[m + i] = lambda / 2 * w[i] * w[i];\n"
    "        g[i] = lambda * w[i];\n"
    "    }\n"
    "}\n";

struct model {
    cl_mem a, t, z, terms; /* double on the device */
    cl_kernel loss;
    double lambda;
};

static int evaluate(void *user, cl_command_queue queue, cl_mem w, cl_mem f, cl_mem g, size_t n,
                    clbfgs_precision precision)
{
    struct model *md = user;
    if (precision != CLBFGS_PRECISION_DOUBLE) /* this example keeps its data in double */
        return 1;
    cl_uint m = M, nu = (cl_uint)n;
    size_t global = M;
    if (CLBlastDgemv(CLBlastLayoutRowMajor, CLBlastTransposeNo, M, n, 1.0, md->a, 0, n, w, 0, 1,
                     0.0, md->z, 0, 1, &queue, NULL) != CLBlastSuccess)
        return 2;
    cl_int err = clSetKernelArg(md->loss, 0, sizeof(cl_mem), &md->z);
    err |= clSetKernelArg(md->loss, 1, sizeof(cl_mem), &md->t);
    err |= clSetKernelArg(md->loss, 2, sizeof(cl_mem), &md->terms);
    err |= clSetKernelArg(md->loss, 3, sizeof(cl_mem), &w);
    err |= clSetKernelArg(md->loss, 4, sizeof(cl_mem), &g);
    err |= clSetKernelArg(md->loss, 5, sizeof(double), &md->lambda);
    err |= clSetKernelArg(md->loss, 6, sizeof m, &m);
    err |= clSetKernelArg(md->loss, 7, sizeof nu, &nu);
    err |= clEnqueueNDRangeKernel(queue, md->loss, 1, NULL, &global, NULL, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return 3;
    if (CLBlastDgemv(CLBlastLayoutRowMajor, CLBlastTransposeYes, M, n, 1.0, md->a, 0, n, md->z, 0,
                     1, 1.0, g, 0, 1, &queue, NULL) != CLBlastSuccess ||
        CLBlastDsum(M + n, f, 0, md->terms, 0, 1, &queue, NULL) != CLBlastSuccess)
        return 4;
    return 0;
}

static cl_mem device_copy(clbfgs_context *ctx, const double *v, size_t count, cl_int *err)
{
    return clCreateBuffer(clbfgs_context_cl_context(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                          count * sizeof(double), (void *)v, err);
}

int main(void)
{
    /* synthetic data: features in [-1, 1], labels drawn from a known model */
    static double a[M * N], t[M], y01[M], zeros[M + N];
    double truth[N];
    srand(7);
    for (int j = 0; j < N; j++)
        truth[j] = 4.0 * rand() / RAND_MAX - 2.0;
    for (int i = 0; i < M; i++) {
        double z = 0;
        for (int j = 0; j < N; j++)
            z += (a[i * N + j] = 2.0 * rand() / RAND_MAX - 1.0) * truth[j];
        t[i] = (double)rand() / RAND_MAX < 1 / (1 + exp(-z)) ? 1 : -1;
        y01[i] = t[i] > 0 ? 1 : 0; /* the built-in's labels are 0 and 1 */
    }

    clbfgs_context *ctx = NULL;
    clbfgs_objective *callback = NULL, *builtin = NULL;
    clbfgs_result mine = {0}, theirs = {0};
    struct model md = {0};
    md.lambda = 1.0;
    cl_program program = NULL;
    clbfgs_options opts;
    clbfgs_options_init(&opts);
    opts.precision = CLBFGS_PRECISION_DOUBLE;
    double w0[N] = {0};
    int rc = 1;
    cl_int err = CL_SUCCESS;

    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_program_build(ctx, elementwise_source, NULL, CLBFGS_PRECISION_DOUBLE, &program,
                             NULL) != CLBFGS_SUCCESS) {
        fprintf(stderr, "logistic: %s\n", clbfgs_last_error());
        goto done;
    }
    md.loss = clCreateKernel(program, "loss", &err);
    md.a = device_copy(ctx, a, M * N, &err);
    md.t = device_copy(ctx, t, M, &err);
    md.z = device_copy(ctx, zeros, M, &err); /* zeros: CLBlast reads y even when beta = 0 */
    md.terms = device_copy(ctx, zeros, M + N, &err);
    if (err != CL_SUCCESS || !md.loss || !md.a || !md.t || !md.z || !md.terms) {
        fprintf(stderr, "logistic: OpenCL setup failed (%d)\n", (int)err);
        goto done;
    }
    if (clbfgs_objective_device(&callback, evaluate, &md) != CLBFGS_SUCCESS ||
        clbfgs_minimize(ctx, callback, N, w0, &opts, &mine) != CLBFGS_SUCCESS ||
        clbfgs_objective_logistic(&builtin, ctx, M, N, a, y01, md.lambda,
                                  CLBFGS_PRECISION_DOUBLE) != CLBFGS_SUCCESS ||
        clbfgs_minimize(ctx, builtin, N, w0, &opts, &theirs) != CLBFGS_SUCCESS) {
        fprintf(stderr, "logistic: %s\n", clbfgs_last_error());
        goto done;
    }
    double dw = 0;
    for (int j = 0; j < N; j++)
        dw = fmax(dw, fabs(mine.x[j] - theirs.x[j]));
    printf("device callback: %s f = %.10g after %zu iterations\n", mine.message, mine.fun, mine.nit);
    printf("built-in:        %s f = %.10g after %zu iterations\n", theirs.message, theirs.fun,
           theirs.nit);
    printf("largest difference in w: %.2e; w[0..2] = %.4f %.4f %.4f (model: %.4f %.4f %.4f)\n", dw,
           mine.x[0], mine.x[1], mine.x[2], truth[0], truth[1], truth[2]);
    rc = mine.success && theirs.success && dw < 1e-4 ? 0 : 1;
done:
    clbfgs_result_free(&mine);
    clbfgs_result_free(&theirs);
    clbfgs_objective_free(callback);
    clbfgs_objective_free(builtin);
    cl_mem bufs[] = {md.a, md.t, md.z, md.terms};
    for (int i = 0; i < 4; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
    if (md.loss)
        clReleaseKernel(md.loss);
    if (program)
        clReleaseProgram(program);
    clbfgs_context_free(ctx);
    return rc;
}
