// FCN: the Fully Convolutional Networks, built from NN layers as a graph of named nodes.
//
// Owns: model names and configurations (ModelName, ModelConfig), the VGG backbones and the
// heads of the paper's nets (PaperFCN) and of the course's PyTorch class (CourseFCN), the graph
// and its geometry (Graph, GraphOps/: each op's run, shape, placement, cost in one place;
// Geometry: coordinate maps from which every crop offset is computed), state_dict load/export by
// PyTorch name (StateDict, WeightImport, WeightFiles), and `fcn info`'s report (InfoReport).
//
// Imports NN, Tensor, WeightIO and SeededRandom: nothing about data sets, training or the CLI.
