/* Vocabulary-parallel language-model head with MPI: each rank holds rows [v0, v1)
 * of the output projection (Megatron-style tensor parallelism), and no rank ever
 * builds a whole row of logits, let alone the [n, v] matrix.
 *
 *   1. loss_linear_cross_entropy_shard_stats_f64: per sample, LOSS_LINEAR_SHARD_STATS
 *      statistics of this rank's logits (max, sum of exponentials, label's logit, sum);
 *   2. ONE MPI_Allreduce with an operation that calls
 *      loss_linear_cross_entropy_shard_combine_f64 makes them the whole rows';
 *   3. loss_linear_cross_entropy_shard_finish_f64: the loss (the same on every rank)
 *      and this rank's gradients: grad_weight and grad_bias of its rows, complete, and
 *      its term of grad_hidden, which an MPI_SUM allreduce completes.
 *
 * The example checks that loss and gradients equal the single-process
 * loss_linear_cross_entropy_f64 of the whole weight (label smoothing, z-loss,
 * ignored labels, sample weights, MEAN and NONE reductions, with and without bias),
 * with the vocabulary split unevenly.
 *
 *   mpirun -np 2 ./mpi_vocab_parallel        (scripts/mpi-check.sh builds and runs it) */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"

#define N 48  /* tokens */
#define H 32  /* hidden size */
#define V 997 /* vocabulary */

static double hidden[N * H], weight[V * H], bias[V], sample_weight[N];
static int32_t labels[N];

static void make_data(void) {
  unsigned s = 7;
  for (int i = 0; i < N * H; i++) {
    s = s * 1664525u + 1013904223u;
    hidden[i] = (double)(s >> 8) / (double)(1u << 23) - 1.0;
  }
  for (int i = 0; i < V * H; i++) {
    s = s * 1664525u + 1013904223u;
    weight[i] = ((double)(s >> 8) / (double)(1u << 24) - 0.5) * 0.4;
  }
  for (int j = 0; j < V; j++) bias[j] = 0.01 * (double)(j % 13) - 0.05;
  for (int i = 0; i < N; i++) {
    s = s * 1664525u + 1013904223u;
    labels[i] = i % 11 == 5 ? -100 : (int32_t)((s >> 8) % V); /* some ignored */
    sample_weight[i] = 0.5 + (double)(i % 4) / 4.0;
  }
}

/* The MPI reduction: `in` ⊕ `inout`, *len samples of LOSS_LINEAR_SHARD_STATS. */
static void combine(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  loss_linear_cross_entropy_shard_combine_f64(in, inout, (size_t)*len);
}

static double worst = 0.0; /* largest relative difference seen */

static void compare(const double *a, const double *b, size_t n) {
  double scale = 0.0;
  for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]) / (scale + 1e-300));
}

static void check(loss_status s, const char *what) {
  if (s != LOSS_OK) {
    fprintf(stderr, "%s: %s\n", what, loss_last_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  make_data();

  /* Uneven shards: rank r holds [V r² / size², V (r+1)² / size²). */
  int *first = malloc(sizeof(int) * (size_t)(size + 1)), *rows = malloc(sizeof(int) * (size_t)size);
  int *counts = malloc(sizeof(int) * (size_t)size), *displs = malloc(sizeof(int) * (size_t)size);
  for (int r = 0; r <= size; r++) first[r] = (int)((long)V * r * r / ((long)size * size));
  for (int r = 0; r < size; r++) rows[r] = first[r + 1] - first[r];
  const size_t v0 = (size_t)first[rank], v1 = (size_t)first[rank + 1], width = v1 - v0;

  MPI_Datatype stats_type;
  MPI_Type_contiguous(LOSS_LINEAR_SHARD_STATS, MPI_DOUBLE, &stats_type);
  MPI_Type_commit(&stats_type);
  MPI_Op combine_op;
  MPI_Op_create(combine, 1 /* commutative */, &combine_op);

  /* The workspace of this rank's shard, allocated once for both phases. */
  size_t ws_bytes = 0;
  check(loss_linear_cross_entropy_workspace_size(N, H, width, &ws_bytes), "workspace_size");
  void *ws = malloc(ws_bytes);
  double *stats = malloc(sizeof(double) * N * LOSS_LINEAR_SHARD_STATS);
  double *gw_shard = malloc(sizeof(double) * width * H), *gb_shard = malloc(sizeof(double) * width);
  double loss[N], ref_loss[N], gh[N * H], ref_gh[N * H], gw[V * H], ref_gw[V * H], gb[V], ref_gb[V];
  if (!first || !rows || !counts || !displs || !ws || !stats || !gw_shard || !gb_shard) MPI_Abort(MPI_COMM_WORLD, 1);

  for (int config = 0; config < 2; config++) {
    loss_options o = loss_options_default();
    o.ignore_index = -100;
    o.label_smoothing = 0.1;
    o.z_loss = config == 0 ? 1e-4 : 0.0;
    o.reduction = config == 0 ? LOSS_REDUCTION_MEAN : LOSS_REDUCTION_NONE;
    const bool with_bias = config == 0;
    const double *b = with_bias ? bias + v0 : NULL;
    const size_t n_out = o.reduction == LOSS_REDUCTION_NONE ? N : 1;

    /* 1. This shard's statistics; 2. one allreduce combines them. */
    check(loss_linear_cross_entropy_shard_stats_f64(hidden, weight + v0 * H, b, labels, N, H, V, v0, v1, &o, stats,
                                                    ws, ws_bytes),
          "shard_stats");
    MPI_Allreduce(MPI_IN_PLACE, stats, N, stats_type, combine_op, MPI_COMM_WORLD);
    /* 3. Loss and this shard's gradients; grad_hidden summed over the ranks. */
    check(loss_linear_cross_entropy_shard_finish_f64(hidden, weight + v0 * H, b, labels, N, H, V, v0, v1,
                                                     sample_weight, &o, stats, loss, gh, gw_shard,
                                                     with_bias ? gb_shard : NULL, ws, ws_bytes),
          "shard_finish");
    MPI_Allreduce(MPI_IN_PLACE, gh, N * H, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);

    /* For the check only: gather the shards' weight gradients, and compare with the
     * single-process call (a training step would apply them where they are). */
    for (int r = 0; r < size; r++) {
      counts[r] = rows[r] * H;
      displs[r] = first[r] * H;
    }
    MPI_Allgatherv(gw_shard, (int)(width * H), MPI_DOUBLE, gw, counts, displs, MPI_DOUBLE, MPI_COMM_WORLD);
    check(loss_linear_cross_entropy_f64(hidden, weight, with_bias ? bias : NULL, labels, N, H, V, sample_weight,
                                        &o, ref_loss, ref_gh, ref_gw, with_bias ? ref_gb : NULL),
          "single process");
    compare(loss, ref_loss, n_out);
    compare(gh, ref_gh, N * H);
    compare(gw, ref_gw, V * H);
    if (with_bias) {
      MPI_Allgatherv(gb_shard, (int)width, MPI_DOUBLE, gb, rows, first, MPI_DOUBLE, MPI_COMM_WORLD);
      compare(gb, ref_gb, V);
    }
    /* Every rank must hold the same loss. */
    double lo = loss[0], hi = loss[0];
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (lo != hi) worst = INFINITY;
    if (rank == 0)
      printf("mpi vocab: %d ranks, n %d, h %d, v %d, %s: loss[0] %.15f (single process %.15f)\n", size, N, H, V,
             config == 0 ? "MEAN, bias, z-loss" : "NONE, no bias", loss[0], ref_loss[0]);
  }

  MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int ok = worst < 1e-12;
  if (rank == 0)
    printf("mpi vocab: shards [0, %d) ... [%d, %d): max relative difference %.2e: %s\n", first[1], first[size - 1],
           V, worst, ok ? "ok" : "MISMATCH");
  MPI_Op_free(&combine_op);
  MPI_Type_free(&stats_type);
  free(first);
  free(rows);
  free(counts);
  free(displs);
  free(ws);
  free(stats);
  free(gw_shard);
  free(gb_shard);
  MPI_Finalize();
  return ok ? 0 : 1;
}
