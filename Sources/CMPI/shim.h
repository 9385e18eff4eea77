// Open MPI's C API (libopenmpi-dev, installed by scripts/setup; `pkg-config ompi-c`). Only the
// CMPIShim C target includes it: Swift cannot use MPI_COMM_WORLD, MPI_FLOAT or MPI_SUM, which
// Open MPI defines as macros over the addresses of its predefined objects.
#include <mpi.h>
