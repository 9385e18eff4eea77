import NN
import Tensor

extension Conv2D: GraphOp {
  var kernel: Int { weight.shape[2] }

  public func summary(_ node: GraphNode) -> String {
    "conv \(kernel)×\(kernel)/\(geometry.stride.h)" + (padding > 0 ? " pad \(padding)" : "")
      + (fuseReLU ? " +ReLU" : "")
  }
  public var layer: Module? { self }
  public var padding: Int { geometry.padding.h }

  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { try self(inputs[0]) }

  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    let s = inputs[0]
    let g = geometry
    let out = [
      s[0], weight.shape[0], SpatialSize.conv(s[2], kernel: kernel, stride: g.stride.h, padding: g.padding.h),
      SpatialSize.conv(s[3], kernel: kernel, stride: g.stride.w, padding: g.padding.w),
    ]
    guard out[2] >= 1, out[3] >= 1 else {
      throw FCNError.geometry(
        "\(node.name): a \(kernel)×\(kernel) convolution does not fit its input \(describe(s)) (output \(out[2])×\(out[3]))"
      )
    }
    return out
  }

  public func placement(after input: Placement) -> Placement {
    let k = (kernel - 1) * geometry.dilation.h + 1
    return Placement(
      channels: weight.shape[0],
      coords: input.coords.throughWindow(kernel: k, stride: geometry.stride.h, padding: geometry.padding.h),
      receptive: input.receptive.throughWindow(kernel: k, stride: geometry.stride.h))
  }

  public func flops(inputs: [[Int]], output: [Int]) -> Int {
    2 * output.reduce(1, *) * weight.shape[1] * kernel * kernel
  }
}

extension ConvTranspose2D: GraphOp {
  var kernel: Int { weight.shape[2] }

  public func summary(_ node: GraphNode) -> String {
    "deconv \(kernel)×\(kernel)/\(stride)" + (padding > 0 ? " pad \(padding)" : "")
      + (weight.trainable ? "" : " (frozen)")
  }
  public var layer: Module? { self }

  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { try self(inputs[0]) }

  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    let s = inputs[0]
    return [
      s[0], weight.shape[1], SpatialSize.deconv(s[2], kernel: kernel, stride: stride, padding: padding),
      SpatialSize.deconv(s[3], kernel: kernel, stride: stride, padding: padding),
    ]
  }

  public func placement(after input: Placement) -> Placement {
    Placement(
      channels: weight.shape[1],
      coords: input.coords.throughTransposed(kernel: kernel, stride: stride, padding: padding),
      receptive: input.receptive.throughTransposed(kernel: kernel, stride: stride))
  }

  public func flops(inputs: [[Int]], output: [Int]) -> Int {
    2 * inputs[0].reduce(1, *) * weight.shape[1] * kernel * kernel
  }
}
