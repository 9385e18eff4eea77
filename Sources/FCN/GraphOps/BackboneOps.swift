import NN
import Tensor

extension BatchNorm2D: GraphOp {
  public func summary(_ node: GraphNode) -> String { "batch norm" }
  public var layer: Module? { self }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { try self(inputs[0]) }
  /// In training the output (with the ReLU after it) is given back once forward is done with
  /// it and rebuilt in backward from the input, which the convolution before already counts:
  /// one activation per BatchNorm, not two. With the ReLU fused, its mask is kept: one bit an
  /// element.
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: fusesFollowingReLU ? (outputBytes / 32 + 63) & ~63 : 0, inference: outputBytes)
  }
}

/// ReLU in place: it always follows a BatchNorm whose output nothing else reads.
public struct ReLUInPlace: GraphOp {
  public init() {}
  public func summary(_ node: GraphNode) -> String { "ReLU (in place)" }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable {
    try relu(inputs[0], inPlace: true)
  }
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: 0, inference: 0)
  }
}

extension Dropout2D: GraphOp {
  public func summary(_ node: GraphNode) -> String { "dropout2d p=\(p)" }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { try self(inputs[0]) }
  /// The identity in eval; in training its output is kept for the next layer's backward.
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: outputBytes, inference: 0)
  }
}

extension MaxPool2D: GraphOp {
  public func summary(_ node: GraphNode) -> String {
    "max pool \(kernel)×\(kernel)/\(stride)" + (ceilMode ? " ceil" : " floor")
  }

  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { try self(inputs[0]) }

  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    let s = inputs[0]
    let out = [
      s[0], s[1], SpatialSize.pool(s[2], kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode),
      SpatialSize.pool(s[3], kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode),
    ]
    guard out[2] >= 1, out[3] >= 1 else {
      throw FCNError.geometry(
        "\(node.name): input \(describe(s)) is smaller than the \(kernel)×\(kernel) pooling window")
    }
    return out
  }

  public func placement(after input: Placement) -> Placement {
    Placement(
      channels: input.channels, coords: input.coords.throughWindow(kernel: kernel, stride: stride, padding: padding),
      receptive: input.receptive.throughWindow(kernel: kernel, stride: stride))
  }

  /// Backward also needs the argmax positions: a u8 workspace, a quarter of the fp32 output.
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: outputBytes + outputBytes / 4, inference: outputBytes)
  }
}
