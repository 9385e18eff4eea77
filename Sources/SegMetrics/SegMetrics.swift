// SegMetrics: the confusion matrix and every metric derived from it (pixel accuracy, mean class
// accuracy, mIoU, frequency-weighted IoU, per-class IoU), with the table `fcn eval` prints.
//
// Imports no project module: it counts integers and knows nothing of tensors or files.
