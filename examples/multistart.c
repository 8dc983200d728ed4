/* One solver, many starting points, one iteration at a time: a multi-start
 * search on the 4-D Rosenbrock function (rosen: a global minimum 0 at
 * (1, 1, 1, 1), and a local one, f = 3.70, near (-0.78, 0.61, 0.38, 0.15)).
 * The solver builds its programs and buffers once; each start reuses them.
 * After 20 iterations the loop looks at the run and gives up on a start
 * whose f is no better than the local minimum: the step API lets the caller
 * decide as the run goes, not only through the options.
 * Build after `make install`:  cc multistart.c $(pkg-config --cflags --libs clbfgs) */
#include <clbfgs.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    clbfgs_context *ctx = NULL;
    clbfgs_objective *obj = NULL;
    clbfgs_solver *solver = NULL;
    int found_global = 0, rc = 1;

    if (clbfgs_context_new(&ctx, NULL) != CLBFGS_SUCCESS ||
        clbfgs_objective_builtin(&obj, "rosen") != CLBFGS_SUCCESS ||
        clbfgs_solver_new(&solver, ctx, obj, 4, NULL) != CLBFGS_SUCCESS)
        goto fail;
    srand(12345);
    for (int start = 0; start < 8; start++) {
        double x0[4];
        for (int i = 0; i < 4; i++)
            x0[i] = -3 + 6 * (double)rand() / RAND_MAX;
        if (clbfgs_solver_start(solver, x0) != CLBFGS_SUCCESS)
            goto fail;
        int stopped = 0, gave_up = 0;
        clbfgs_result res;
        for (size_t k = 1; !stopped; k++) {
            if (clbfgs_solver_iterate(solver, &stopped) != CLBFGS_SUCCESS)
                goto fail;
            if (!stopped && k == 20) { /* look at the run so far, decide */
                if (clbfgs_solver_result(solver, &res) != CLBFGS_SUCCESS)
                    goto fail;
                gave_up = res.fun > 3.8; /* no better than the local minimum (3.70) */
                clbfgs_result_free(&res);
                if (gave_up)
                    break;
            }
        }
        if (clbfgs_solver_result(solver, &res) != CLBFGS_SUCCESS)
            goto fail;
        printf("start %d: %-8s f = %-12.6g nit %3zu  x = (%.3f, %.3f, %.3f, %.3f)\n", start,
               gave_up       ? "gave up"
               : res.success ? "minimum"
                             : "stopped",
               res.fun, res.nit, res.x[0], res.x[1], res.x[2], res.x[3]);
        found_global += res.success && res.fun < 1e-8;
        clbfgs_result_free(&res);
    }
    printf("%d of 8 starts reached the global minimum\n", found_global);
    rc = found_global > 0 ? 0 : 1;
    goto done;
fail:
    fprintf(stderr, "clbfgs: %s\n", clbfgs_last_error());
done:
    clbfgs_solver_free(solver);
    clbfgs_objective_free(obj);
    clbfgs_context_free(ctx);
    return rc;
}
