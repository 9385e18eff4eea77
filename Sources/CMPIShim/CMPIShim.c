// Thin wrappers over Open MPI for Swift (see include/CMPIShim.h for why they exist).
#include "CMPIShim.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

int fcn_mpi_init(int *rank, int *size) {
  int provided = 0;
  int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) return rc;
  // Errors come back as codes, so Swift can name the failing call before the job ends.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  rc = MPI_Comm_rank(MPI_COMM_WORLD, rank);
  if (rc != MPI_SUCCESS) return rc;
  return MPI_Comm_size(MPI_COMM_WORLD, size);
}

int fcn_mpi_finalize(void) { return MPI_Finalize(); }

void fcn_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int fcn_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

// MPI counts are ints: larger arrays go in pieces of at most 2^30 elements.
static int allreduce_chunked(void *values, size_t count, size_t elementSize, MPI_Datatype type, MPI_Op op) {
  const size_t piece = (size_t)1 << 30;
  char *p = values;
  while (count > 0) {
    int n = (int)(count < piece ? count : piece);
    int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, type, op, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return rc;
    p += (size_t)n * elementSize;
    count -= (size_t)n;
  }
  return MPI_SUCCESS;
}

int fcn_mpi_allreduce_sum_f32(float *values, size_t count) {
  return allreduce_chunked(values, count, sizeof(float), MPI_FLOAT, MPI_SUM);
}

int fcn_mpi_allreduce_sum_f64(double *values, size_t count) {
  return allreduce_chunked(values, count, sizeof(double), MPI_DOUBLE, MPI_SUM);
}

int fcn_mpi_allreduce_sum_i64(int64_t *values, size_t count) {
  return allreduce_chunked(values, count, sizeof(int64_t), MPI_INT64_T, MPI_SUM);
}

int fcn_mpi_allreduce_max_i32(int32_t *values, size_t count) {
  return allreduce_chunked(values, count, sizeof(int32_t), MPI_INT32_T, MPI_MAX);
}

int fcn_mpi_iallreduce_sum_f32(float *values, int count, void **request) {
  MPI_Request *r = malloc(sizeof(MPI_Request));
  if (!r) return MPI_ERR_NO_MEM;
  int rc = MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, r);
  if (rc != MPI_SUCCESS) {
    free(r);
    return rc;
  }
  *request = r;
  return MPI_SUCCESS;
}

int fcn_mpi_test(void *request, int *done) {
  MPI_Request *r = request;
  int rc = MPI_Test(r, done, MPI_STATUS_IGNORE);
  if (rc == MPI_SUCCESS && *done) free(r);
  return rc;
}

int fcn_mpi_wait(void *request) {
  MPI_Request *r = request;
  int rc = MPI_Wait(r, MPI_STATUS_IGNORE);
  free(r);
  return rc;
}

int fcn_mpi_bcast(void *bytes, size_t count, int root) {
  const size_t piece = (size_t)1 << 30;
  char *p = bytes;
  while (count > 0) {
    int n = (int)(count < piece ? count : piece);
    int rc = MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return rc;
    p += n;
    count -= (size_t)n;
  }
  return MPI_SUCCESS;
}

void fcn_mpi_error_string(int code, char *buffer, int length) {
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  if (MPI_Error_string(code, text, &n) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
  strncpy(buffer, text, (size_t)length - 1);
  buffer[length - 1] = 0;
}
