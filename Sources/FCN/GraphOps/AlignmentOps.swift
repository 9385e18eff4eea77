import NN
import Tensor

/// The network's input image (the caller's tensor: nothing allocated).
public struct ImageInput: GraphOp {
  public init() {}
  public func summary(_ node: GraphNode) -> String { "input" }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable { image }
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    OpMemory(training: 0, inference: 0)
  }
}

/// Zero padding at the bottom and right up to a multiple (the compact and course heads: /32).
public struct PadToMultiple: GraphOp {
  public let multiple: Int
  public init(_ multiple: Int) { self.multiple = multiple }

  public func summary(_ node: GraphNode) -> String { "zero-pad bottom/right to /\(multiple)" }

  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable {
    try padBottomRight(inputs[0], multiple: multiple, name: node.name)
  }

  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    let s = inputs[0]
    return [s[0], s[1], SpatialSize.padded(s[2], multiple: multiple), SpatialSize.padded(s[3], multiple: multiple)]
  }

  /// Nothing new when the input is already a multiple: the image passes through.
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    let bytes = inputs[0] == output ? 0 : outputBytes
    return OpMemory(training: bytes, inference: bytes)
  }
}

/// Multiplication by a constant (the at-once net's skip scaling).
public struct Scale: GraphOp {
  public let factor: Float
  public init(_ factor: Float) { self.factor = factor }
  public func summary(_ node: GraphNode) -> String { "scale ×\(factor)" }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable {
    try scale(inputs[0], by: factor)
  }
}

/// inputs [a, b]: a + b (GraphBuilder.sum checks that their cells line up).
public struct Sum: GraphOp {
  public func summary(_ node: GraphNode) -> String { "add \(node.inputs[0]) + \(node.inputs[1])" }
  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable {
    try add(inputs[0], inputs[1], name: node.name)
  }
  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    guard inputs[0] == inputs[1] else {
      throw FCNError.geometry(
        "\(node.name): \(node.inputs[0]) \(describe(inputs[0])) and \(node.inputs[1]) \(describe(inputs[1])) differ")
    }
    return inputs[0]
  }
}

/// inputs [x, reference]: x[:, :, o:o+H_ref, o:o+W_ref], the offset computed from geometry by
/// GraphBuilder.crop.
public struct AlignCrop: GraphOp {
  public let offset: Int
  public func summary(_ node: GraphNode) -> String { "crop at (\(offset), \(offset)) to \(node.inputs[1])'s size" }

  public func run(_ inputs: [Variable], node: GraphNode, image: Variable) throws -> Variable {
    let x = inputs[0]
    let ref = inputs[1].shape
    if offset == 0 && x.shape[2] == ref[2] && x.shape[3] == ref[3] { return x }
    return try crop(x, top: offset, left: offset, height: ref[2], width: ref[3], name: node.name)
  }

  public func outputShape(_ inputs: [[Int]], node: GraphNode) throws -> [Int] {
    let (s, r) = (inputs[0], inputs[1])
    guard offset + r[2] <= s[2], offset + r[3] <= s[3] else {
      throw FCNError.geometry(
        "\(node.name): cropping \(node.inputs[0]) \(describe(s)) at offset \(offset) to \(r[2])×\(r[3]) does not fit")
    }
    return [s[0], s[1], r[2], r[3]]
  }

  /// A crop that keeps everything passes its input on.
  public func memory(outputBytes: Int, inputs: [[Int]], output: [Int]) -> OpMemory {
    let bytes = offset == 0 && inputs[0] == output ? 0 : outputBytes
    return OpMemory(training: bytes, inference: bytes)
  }
}

/// Zero padding at the bottom and right up to a multiple of `m`. The image gets no gradient
/// (it is data), so a variable that asks for one is refused rather than silently cut off.
func padBottomRight(_ x: Variable, multiple m: Int, name: String) throws -> Variable {
  let s = x.shape
  let h = SpatialSize.padded(s[2], multiple: m)
  let w = SpatialSize.padded(s[3], multiple: m)
  if h == s[2] && w == s[3] { return x }
  guard !x.requiresGrad else {
    throw FCNError.unsupportedInput(
      "\(name): padding an input that requires a gradient is not supported (input \(describe(s)))")
  }
  let padded = try Tensor.zeros(shape: [s[0], s[1], h, w])
  try reorder(from: x.value, to: padded.window(dims: s, offsets: [0, 0, 0, 0]))
  return Variable(padded)
}
