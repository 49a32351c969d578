/* Data-parallel training step with MPI: the recipe for any allreduce engine.
 *
 * A batch of BATCH samples is split across ranks. Each rank computes its shard's loss
 * with LOSS_REDUCTION_SUM (so shard results add up) and the sum of its sample weights,
 * back-propagates its shard's gradient to the model parameters, and then ONE allreduce
 * of [loss_sum, weight_sum, parameter gradients...] gives every rank the global
 * values. Dividing by the global weight sum turns them into the MEAN reduction
 * (sum_i w_i l_i / sum_i w_i) of the whole batch: exactly what a single process gets.
 *
 *   mpirun -np 2 ./mpi_data_parallel        (scripts/mpi-check.sh builds and runs it)
 *
 * The model is linear: pred[i][k] = sum_j x[i][j] W[j][k]; loss = Huber over K outputs. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"

#define BATCH 1000
#define FEATURES 8
#define OUTPUTS 3
#define N_PARAMS (FEATURES * OUTPUTS)

static double x[BATCH][FEATURES], y[BATCH][OUTPUTS], w_sample[BATCH], W[FEATURES][OUTPUTS];

static void make_data(void) {
  unsigned s = 2024;
  for (int i = 0; i < BATCH; i++) {
    for (int j = 0; j < FEATURES; j++) {
      s = s * 1664525u + 1013904223u;
      x[i][j] = (double)(s >> 8) / (double)(1u << 24) - 0.5;
    }
    for (int k = 0; k < OUTPUTS; k++) {
      s = s * 1664525u + 1013904223u;
      y[i][k] = (double)(s >> 8) / (double)(1u << 22) - 2.0;
    }
    w_sample[i] = 0.5 + (double)(i % 5) / 4.0;
  }
  for (int j = 0; j < FEATURES; j++)
    for (int k = 0; k < OUTPUTS; k++) W[j][k] = 0.1 * (j - k);
}

/* Loss of rows [lo, hi) with `reduction`, and d loss / d W (accumulated into dW). */
static int shard(int lo, int hi, loss_reduction reduction, double *loss, double dW[N_PARAMS]) {
  int n = hi - lo;
  double *pred = malloc(sizeof(double) * n * OUTPUTS), *grad = malloc(sizeof(double) * n * OUTPUTS);
  if (!pred || !grad) return 1;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < OUTPUTS; k++) {
      double acc = 0;
      for (int j = 0; j < FEATURES; j++) acc += x[lo + i][j] * W[j][k];
      pred[i * OUTPUTS + k] = acc;
    }
  loss_options o = loss_options_default();
  o.reduction = reduction;
  loss_status s = loss_huber_f64(&y[lo][0], pred, (size_t)n, OUTPUTS, &w_sample[lo], &o, loss, grad);
  if (s != LOSS_OK) {
    fprintf(stderr, "loss_huber_f64: %s\n", loss_last_error_message());
    return 1;
  }
  memset(dW, 0, sizeof(double) * N_PARAMS);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < FEATURES; j++)
      for (int k = 0; k < OUTPUTS; k++) dW[j * OUTPUTS + k] += x[lo + i][j] * grad[i * OUTPUTS + k];
  free(pred);
  free(grad);
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  make_data();

  /* This rank's shard, its SUM loss, weight sum and parameter gradient. */
  int lo = (int)((long)BATCH * rank / size), hi = (int)((long)BATCH * (rank + 1) / size);
  double buf[2 + N_PARAMS];
  if (shard(lo, hi, LOSS_REDUCTION_SUM, &buf[0], &buf[2]) != 0) MPI_Abort(MPI_COMM_WORLD, 1);
  buf[1] = 0;
  for (int i = lo; i < hi; i++) buf[1] += w_sample[i];

  /* One allreduce carries everything; then divide by the global weight sum. */
  MPI_Allreduce(MPI_IN_PLACE, buf, 2 + N_PARAMS, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  double loss = buf[0] / buf[1], dW[N_PARAMS];
  for (int p = 0; p < N_PARAMS; p++) dW[p] = buf[2 + p] / buf[1];

  /* The single-process reference: the whole batch with LOSS_REDUCTION_MEAN. */
  double ref_loss, ref_dW[N_PARAMS];
  if (shard(0, BATCH, LOSS_REDUCTION_MEAN, &ref_loss, ref_dW) != 0) MPI_Abort(MPI_COMM_WORLD, 1);
  double worst = fabs(loss - ref_loss) / fabs(ref_loss);
  for (int p = 0; p < N_PARAMS; p++) {
    double d = fabs(dW[p] - ref_dW[p]) / (fabs(ref_dW[p]) + 1e-300);
    if (d > worst) worst = d;
  }
  int ok = worst < 1e-12;
  if (rank == 0) {
    printf("mpi: %d ranks, batch %d: loss %.15f (single process %.15f), max relative difference %.2e: %s\n",
           size, BATCH, loss, ref_loss, worst, ok ? "ok" : "MISMATCH");
  }
  int all_ok;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  MPI_Finalize();
  return all_ok ? 0 : 1;
}
