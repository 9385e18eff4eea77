import NN

/// One operation of an FCN graph, with everything the package asks of it in one place: how to
/// run it, the shape it gives, where its cells sit in the image, its cost, and how `fcn info`
/// names it. Layers with weights conform directly (Conv2D, …); the rest are small values. A
/// layer used by two nodes (the course net's shared `upsample_double`) is one set of parameters.
public protocol GraphOp {
  /// How `fcn info` shows it, e.g. "conv 3×3/1 pad 100 +ReLU".
  func summary(_ node: GraphNode) -> String
  /// The layer with weights it runs, if any.
  var layer: Module? { get }
  /// Spatial padding it applies (for `fcn info`).
  var padding: Int { get }
  /// Its output for `inputs` (one per graph input of the node; `image` is the network's input).
  func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable
  /// Its output shape for input shapes; an error naming the node when the input is too small.
  func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int]
  /// Channels, coordinate map and receptive field of its output, from its single input's.
  /// (Two-input ops get theirs from GraphBuilder.sum / crop, which check the alignment.)
  func placement(after input: Placement) -> Placement
  /// Forward floating-point operations (2 per multiply-add).
  func flops(inputs: [[Int]], output: [Int]) -> Int
  /// What the op keeps in memory, given the blocked size of its output.
  func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory
}

/// Where a node's cells are: channels, their positions in input pixels, the receptive field.
public struct Placement: Equatable, Sendable {
  public var channels: Int
  public var coords: CoordMap
  public var receptive: Receptive
}

/// Bytes an op's output (and workspace) occupies in a training step and in inference.
public struct OpMemory: Equatable, Sendable {
  /// Kept for backward in a training step (output plus workspace, e.g. pooling's argmax).
  public var training: Int
  /// Allocated for its output in inference (0 when it runs in place or passes its input on).
  public var inference: Int
}

extension GraphOp {
  public var layer: Module? { nil }
  public var padding: Int { 0 }
  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] { inputs[0] }
  public func placement(after input: Placement) -> Placement { input }
  public func flops(inputs: [[Int]], output: [Int]) -> Int { 0 }
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: outputBytes, inference: outputBytes)
  }
}
