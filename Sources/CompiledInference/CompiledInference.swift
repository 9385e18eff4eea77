// CompiledInference: a trained FCN compiled for prediction only, in fp32 or int8.
//
// Owns: the inference network (InferenceNetwork: the FCN graph with each BatchNorm folded into
// the convolution before it, conv + bias + ReLU as one oneDNN primitive, blocked weights
// prepared once), int8 execution (InferenceConv with oneDNN's u8/s8 × s8 convolutions, scales
// as primitive attributes, ReLU as a post-op; Activation: quantised tensors and the reorders at
// the edges), post-training quantisation (WeightQuantization, ActivationStatistics and the
// calibration methods) and the int8 weight file (Int8File).
//
// Imports FCN, NN, Tensor, WeightIO and CDNNL: nothing about data sets, training or the CLI
// (calibration takes images as tensors; the command line reads them).
