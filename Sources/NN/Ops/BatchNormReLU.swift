import Tensor

/// The output of a BatchNorm with its ReLU fused (`batchNorm2d(fuseReLU: true)` on a tape):
/// already activated, so the ReLU that follows in the graph passes it through unchanged and
/// records nothing (relu(relu(v)) = relu(v), and the fused backward applies the mask).
///
/// Why fuse: unfused, the ReLU's backward needs the BatchNorm output (rebuilt from the kept
/// input) for its mask and writes a new gradient, and the convolution after it needs that
/// output again for its backward-weights: three activation-sized buffers beside the kept
/// input at the peak of backward. Fused, the mask is a one-bit-per-element workspace, the
/// BatchNorm's backward writes over its incoming gradient, and the convolution rebuilds the
/// output for its backward-weights only and gives it back before its backward-data (see
/// convolutionCore): two. The kept tensor per layer stays one, the convolution's output.
final class ReLUActivated: Variable {
  init(_ value: Tensor) { super.init(value, requiresGrad: true) }
}
