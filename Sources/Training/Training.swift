// Training: what turns a model and a data set into a run folder.
//
// Owns: the Trainer (restore-or-create, training steps, optimizer steps, evaluation that keeps
// the best checkpoint), TrainOptions (config.json), checkpoints with exact resume, the memory
// planner (MemoryLimits and the trainer's plan), evaluation over a split, the run log, progress
// bar, plots and samples.
//
// Imports FCN, NN, Tensor, SegData, SegMetrics, WeightIO: never the command line.
