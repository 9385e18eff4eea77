// The few MPI calls the Distributed module needs, as plain C functions Swift can import.
// MPI_COMM_WORLD, the datatypes and MPI_SUM are macros in Open MPI, so they stay in the C file.
// Every call works on MPI_COMM_WORLD and returns MPI's error code (0: MPI_SUCCESS) unless noted.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H
#include <stddef.h>
#include <stdint.h>

/// MPI_Init_thread (funneled: only the thread that initialised calls MPI), then rank and size.
int fcn_mpi_init(int *rank, int *size);
int fcn_mpi_finalize(void);
/// Ends every process of the job with `code` (MPI_Abort).
void fcn_mpi_abort(int code);
int fcn_mpi_barrier(void);

/// In-place element-wise sums over all processes; counts may exceed INT_MAX (sent in pieces).
int fcn_mpi_allreduce_sum_f32(float *values, size_t count);
int fcn_mpi_allreduce_sum_f64(double *values, size_t count);
int fcn_mpi_allreduce_sum_i64(int64_t *values, size_t count);
int fcn_mpi_allreduce_max_i32(int32_t *values, size_t count);

/// Starts an in-place sum of `count` (≤ INT_MAX) floats; `*request` is an opaque handle to pass
/// to fcn_mpi_test or fcn_mpi_wait, which free it once the sum is complete.
int fcn_mpi_iallreduce_sum_f32(float *values, int count, void **request);
/// Sets *done to 1 (and frees the request) when the operation has completed; also drives
/// progress, which Open MPI makes only inside MPI calls.
int fcn_mpi_test(void *request, int *done);
int fcn_mpi_wait(void *request);

/// Rank `root`'s `count` bytes into every process's `bytes`.
int fcn_mpi_bcast(void *bytes, size_t count, int root);

/// A readable description of an MPI error code, into `buffer` (at least 256 bytes).
void fcn_mpi_error_string(int code, char *buffer, int length);
#endif
