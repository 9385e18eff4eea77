import SeededRandom
import Tensor

/// A 2-D transposed convolution (FCN's upsampling "deconvolution"): weight [in, out, k, k].
public final class ConvTranspose2D: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public let stride: Int
  public let padding: Int
  public let outputPadding: Int
  public let name: String

  /// `initializer: .bilinear` gives the fixed upsampling of the FCN paper; `trainable: false`
  /// freezes it (the paper's 32s/16s/8s nets keep the final upsampler fixed).
  public init(
    _ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int, padding: Int = 0,
    outputPadding: Int = 0, bias: Bool = false, initializer: Initializer = .bilinear, trainable: Bool = true,
    rng: inout Xoshiro256
  ) throws {
    self.name = name
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    let shape = [inChannels, outChannels, kernel, kernel]
    let values =
      initializer == .bilinear
      ? bilinearKernel(in: inChannels, out: outChannels, size: kernel)
      : initialValues(
        initializer, count: shape.reduce(1, *), fanIn: outChannels * kernel * kernel,
        fanOut: inChannels * kernel * kernel, rng: &rng)
    weight = try Parameter("\(name).weight", shape: shape, values: values, trainable: trainable)
    self.bias =
      try bias
      ? Parameter(
        "\(name).bias", shape: [outChannels], values: [Float](repeating: 0, count: outChannels), trainable: trainable)
      : nil
  }

  public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

  public func callAsFunction(_ x: Variable) throws -> Variable {
    try convTranspose2d(
      x, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, name: name)
  }
}

/// The bilinear interpolation kernel of the FCN code (Caffe's surgery.upsample_filt), placed on
/// the diagonal channel pairs: weight[i][i] = filter for i < min(in, out), zero elsewhere.
public func bilinearKernel(in inChannels: Int, out outChannels: Int, size: Int) -> [Float] {
  let factor = (size + 1) / 2
  let center = size % 2 == 1 ? Float(factor - 1) : Float(factor) - 0.5
  var filt = [Float](repeating: 0, count: size * size)
  for i in 0..<size {
    for j in 0..<size {
      filt[i * size + j] = (1 - abs(Float(i) - center) / Float(factor)) * (1 - abs(Float(j) - center) / Float(factor))
    }
  }
  var w = [Float](repeating: 0, count: inChannels * outChannels * size * size)
  for c in 0..<min(inChannels, outChannels) {
    let base = (c * outChannels + c) * size * size
    for k in 0..<size * size { w[base + k] = filt[k] }
  }
  return w
}
