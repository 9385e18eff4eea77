import Foundation
import SeededRandom
import Tensor

/// A 2-D convolution layer: `weight` [out, in/groups, k, k], optional `bias` [out].
public final class Conv2D: Module {
  public let weight: Parameter
  public let bias: Parameter?
  public var geometry: ConvGeometry
  public let groups: Int
  /// ReLU fused as a oneDNN post-op.
  public var fuseReLU: Bool
  public let name: String

  public init(
    _ name: String, in inChannels: Int, out outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
    dilation: Int = 1, groups: Int = 1, bias: Bool = true, fuseReLU: Bool = false,
    initializer: Initializer = .pytorchDefault, rng: inout Xoshiro256
  ) throws {
    self.name = name
    self.geometry = ConvGeometry(stride: stride, padding: padding, dilation: dilation)
    self.groups = groups
    self.fuseReLU = fuseReLU
    let shape = [outChannels, inChannels / groups, kernel, kernel]
    let fanIn = shape[1] * kernel * kernel
    let fanOut = outChannels * kernel * kernel
    weight = try Parameter(
      "\(name).weight", shape: shape,
      values: initialValues(initializer, count: shape.reduce(1, *), fanIn: fanIn, fanOut: fanOut, rng: &rng))
    self.bias =
      try bias
      ? Parameter(
        "\(name).bias", shape: [outChannels],
        values: initializer == .pytorchDefault
          ? initialValues(.pytorchDefault, count: outChannels, fanIn: fanIn, fanOut: fanOut, rng: &rng)
          : [Float](repeating: 0, count: outChannels))
      : nil
  }

  public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

  public func callAsFunction(_ x: Variable) throws -> Variable {
    try conv2d(x, weight: weight, bias: bias, geometry: geometry, groups: groups, fuseReLU: fuseReLU, name: name)
  }
}

/// Initial weight values for the initializers that do not depend on the layer's shape beyond
/// fan-in/fan-out.
func initialValues(_ initializer: Initializer, count: Int, fanIn: Int, fanOut: Int, rng: inout Xoshiro256) -> [Float] {
  switch initializer {
  case .pytorchDefault:
    let bound = 1 / Float(fanIn).squareRoot()
    return (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound }
  case .he:
    let std = (2 / Float(fanOut)).squareRoot()
    return (0..<count).map { _ in std * rng.normalFloat() }
  case .zeros, .bilinear:
    return [Float](repeating: 0, count: count)
  }
}
