// NN: the ops of a segmentation network with their backward passes, and what trains them.
//
// Owns: `Variable`/`Parameter` and the reverse-mode `Tape` (Tape.swift); ops, each with its
// forward and hand-written backward side by side as in llm.c (Ops/: convolution and transposed
// convolution, batch norm, pooling, ReLU/scale, add, crop, dropout, softmax cross-entropy);
// layers that hold parameters (Layers/: Conv2D, ConvTranspose2D, BatchNorm2D, Dropout2D,
// MaxPool2D, all `UnaryLayer`s); optimizers, schedules and gradient clipping (Optim/).
// Arithmetic is oneDNN's (through Tensor and CDNNL); activations stay in the layouts oneDNN picks.
//
// Imports Tensor, CDNNL and SeededRandom only: nothing about files, data sets or models.
