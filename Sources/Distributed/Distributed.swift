// Distributed: data-parallel training over MPI (Open MPI, through the CMPIShim C target: MPI's
// communicator, datatypes and operations are macros Swift cannot import). Owns the process
// group, the bucketed gradient all-reduce that overlaps backward, and the cross-process sums
// that synchronised BatchNorm and sharded evaluation need. A process not started by an MPI
// launcher, or a job of one process, never calls MPI (ProcessGroup.joinIfLaunched).
// Depends on NN (parameters, the gradient watch, the CrossProcessSum protocol) and Tensor.
// Must not import FCN, SegData or Training.
