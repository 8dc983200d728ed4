/* clbfgs_mpi -- one minimization over data spread across MPI ranks.
 *
 * libclbfgs-mpi (configure --with-mpi) is the whole library plus this layer;
 * libclbfgs itself keeps no MPI dependency, and the layer's only seam in it
 * is the objective's reduce function (clbfgs_objective_set_reduce). Each rank holds a shard of the data in its
 * own objective on its own device; the iteration is replicated: every rank
 * runs the same BFGS or L-BFGS-B iteration on the same x, and after every
 * evaluation the ranks add up their partial f and gradient with one
 * MPI_Allreduce of n + 3 doubles (f, g, and two flags: a rank's evaluation
 * failed, a rank's run ended). With identical reduced values every rank
 * takes identical decisions, so the ranks make the same evaluations in the
 * same order and end with the same result. A failure anywhere (an
 * evaluation, a device, a run that ended early) reaches every rank through
 * those flags: each rank's run ends with an error, never a hang.
 *
 * Link with -lclbfgs-mpi instead of -lclbfgs, and the MPI library
 * (pkg-config --cflags --libs clbfgs-mpi): linking both would give a
 * program two copies of the library's state. MPI must be initialised by the
 * caller. */
#ifndef CLBFGS_MPI_H
#define CLBFGS_MPI_H

#include <mpi.h>

#include "clbfgs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the MPI layer measured in one run (optional; see clbfgs_mpi_minimize). */
typedef struct clbfgs_mpi_info {
    int rank, size;           /**< this rank in the communicator, and how many */
    size_t reductions;        /**< MPI_Allreduce calls of f and g (one per evaluation) */
    double reduce_seconds;    /**< wall time in them, waiting for the slowest rank included */
    size_t bytes_per_reduce;  /**< bytes each Allreduce sends: (n + 3) doubles */
} clbfgs_mpi_info;

/** A context on this rank's device: ranks on one node (by
 * MPI_Comm_split_type(MPI_COMM_TYPE_SHARED) of comm) take the node's
 * devices in turn, local rank r the (r mod count)-th. The devices are the
 * GPUs when options->device (or CLBFGS_DEVICE) is NULL or empty and there
 * are GPUs, else every device; "gpu", "cpu" or "accelerator" takes the
 * devices of that type; any other selector names one device for every rank
 * (see clbfgs_select_device). Collective over comm: every rank calls it
 * (MPI_Comm_split_type comes first, whatever the arguments). */
CLBFGS_API clbfgs_status clbfgs_mpi_context_new(clbfgs_context **context, MPI_Comm comm,
                                                const clbfgs_context_options *options);

/** clbfgs_minimize across the ranks of comm (collective: every rank calls
 * it, with the same n, x0 and options). objective is this rank's shard: its
 * f and gradient are this rank's share of the sums; NULL on a rank that
 * holds no data (it contributes 0). The layer sets the objective's reduce
 * function (clbfgs_objective_set_reduce) for the call and clears it after.
 *
 * First the ranks compare n, x0, the options (every field, and the bounds
 * and hess_inv0 arrays) and the precision each device resolves AUTO to: a
 * difference is CLBFGS_ERR_INVALID_ARGUMENT on every rank, naming what
 * differs, before any evaluation. Then the run; every rank gets the same
 * result (to the reduction's rounding, none when MPI_Allreduce gives every
 * rank the same bits, as Open MPI and MPICH do). An evaluation that fails on
 * one rank ends the run on every rank: CLBFGS_ERR_OBJECTIVE elsewhere,
 * naming how many ranks failed; so does a rank whose run ends while others
 * still evaluate. At the end the ranks compare status, nit, njev, f and x:
 * a difference is CLBFGS_ERR_OBJECTIVE on every rank (ranks on devices that
 * round differently, different models or drivers, can drift apart; give
 * every rank the same kind of device). nfev is the largest over the ranks
 * (a rank without data counts one value per evaluation, a forward-difference
 * rank n + 1). A start error leaves result's status and message saying so.
 * info, when not NULL, receives what the layer measured.
 *
 * Every rank's f and g are added up: a term that belongs to the whole
 * problem once (a regularizer) must be in one rank's objective only.
 *
 * The run is host-driven (the reduce function runs between evaluations):
 * never the one-kernel solve (options.single_kernel = 1 is
 * CLBFGS_ERR_UNSUPPORTED) nor the host solve. The callback, if any, runs
 * on every rank; one that stops the run must stop it on every rank alike. */
CLBFGS_API clbfgs_status clbfgs_mpi_minimize(MPI_Comm comm, clbfgs_context *context,
                                             clbfgs_objective *objective, size_t n,
                                             const double *x0, const clbfgs_options *options,
                                             clbfgs_result *result, clbfgs_mpi_info *info);

#ifdef __cplusplus
}
#endif

#endif
