import NN
import Tensor
import WeightIO

/// A network that maps images [N, C, H, W] to per-pixel class logits [N, K, H, W] of exactly
/// the input's height and width, with PyTorch-style named weights.
public protocol SegmentationModel: Module {
  var config: ModelConfig { get }
  /// K, the number of logit channels.
  var classes: Int { get }
  func callAsFunction(_ x: Variable) throws -> Variable
  /// Its BatchNorm layers (their num_batches_tracked counters go into exported state_dicts).
  var batchNormLayers: [BatchNorm2D] { get }
}

/// Every FCN variant: a graph of layers built from a `ModelConfig` and run node by node.
public final class FCNModel: SegmentationModel {
  public let config: ModelConfig
  public let nodes: [GraphNode]
  /// The crops and why they have their offsets (in graph order).
  public let crops: [CropExplanation]
  public let parameters: [Parameter]
  let layers: [Module]
  let vgg: VGGLayers
  let fc6: Conv2D
  let fc7: Conv2D
  /// For each node, the index of the last node that reads it: activations are released as soon
  /// as nothing needs them (the tape keeps what backward needs on its own).
  private let lastUse: [Int]

  /// `randomInit: false` leaves every weight zero (bilinear deconvs aside): for weights about
  /// to be loaded, or for `fcn info`, without drawing a hundred million random numbers.
  public init(_ config: ModelConfig, randomInit: Bool = true) throws {
    try config.validate()
    self.config = config
    let built =
      try config.isCourse ? buildCourseFCN(config, randomInit: randomInit) : buildPaperFCN(config, randomInit: randomInit)
    nodes = built.nodes
    crops = built.crops
    vgg = built.vgg
    fc6 = built.fc6
    fc7 = built.fc7
    var seen = Set<ObjectIdentifier>()
    var modules: [Module] = []
    for m in built.modules ?? built.nodes.compactMap(\.layer) where seen.insert(ObjectIdentifier(m)).inserted {
      modules.append(m)
    }
    layers = modules
    parameters = modules.flatMap(\.parameters)
    var position: [String: Int] = [:]
    for (i, n) in nodes.enumerated() { position[n.name] = i }
    var last = Array(0..<nodes.count)
    for (i, n) in nodes.enumerated() { for input in n.inputs { last[position[input]!] = i } }
    last[nodes.count - 1] = nodes.count  // the output is kept
    lastUse = last
  }

  public var classes: Int { config.classes }

  public var buffers: [(name: String, tensor: Tensor)] { layers.flatMap(\.buffers) }

  public var batchNormLayers: [BatchNorm2D] { layers.compactMap { $0 as? BatchNorm2D } }

  public func setTraining(_ training: Bool) {
    for m in layers { m.setTraining(training) }
    for n in nodes { if case .dropout(let d) = n.op { d.setTraining(training) } }
  }

  /// Logits [N, K, H, W] for images [N, C, H, W], any H, W ≥ 1.
  public func callAsFunction(_ x: Variable) throws -> Variable {
    let xs = x.shape
    guard xs.count == 4, xs[1] == config.inputChannels, xs[0] >= 1, xs[2] >= 1, xs[3] >= 1 else {
      throw FCNError.unsupportedInput(
        "\(config.name): input must be [N, \(config.inputChannels), H, W] with N, H, W ≥ 1, got \(fmt(xs))")
    }
    var values = [Variable?](repeating: nil, count: nodes.count)
    var position: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
      position[node.name] = i
      let inputs = node.inputs.map { values[position[$0]!]! }
      values[i] = try evaluate(node, inputs, image: x)
      for input in node.inputs where lastUse[position[input]!] == i { values[position[input]!] = nil }
    }
    return values[nodes.count - 1]!
  }

  private func evaluate(_ node: GraphNode, _ inputs: [Variable], image: Variable) throws -> Variable {
    switch node.op {
    case .input: return image
    case .padToMultiple(let m): return try padBottomRight(inputs[0], multiple: m, name: node.name)
    case .conv(let c): return try c(inputs[0])
    case .batchNorm(let b): return try b(inputs[0])
    case .relu: return try relu(inputs[0], inPlace: true)
    case .dropout(let d): return try d(inputs[0])
    case .maxPool(let p): return try p(inputs[0])
    case .deconv(let d): return try d(inputs[0])
    case .scale(let s): return try scale(inputs[0], by: s)
    case .add: return try add(inputs[0], inputs[1], name: node.name)
    case .crop(let offset):
      let x = inputs[0]
      let ref = inputs[1].shape
      if offset == 0 && x.shape[2] == ref[2] && x.shape[3] == ref[3] { return x }
      return try crop(x, top: offset, left: offset, height: ref[2], width: ref[3], name: node.name)
    }
  }
}

extension GraphNode {
  /// The layer with weights this node runs, if any.
  var layer: Module? {
    switch op {
    case .conv(let c): return c
    case .batchNorm(let b): return b
    case .deconv(let d): return d
    default: return nil
    }
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
      "\(name): padding an input that requires a gradient is not supported (input \(fmt(s)))")
  }
  let padded = try Tensor.zeros(shape: [s[0], s[1], h, w])
  try reorder(from: x.value, to: padded.window(dims: s, offsets: [0, 0, 0, 0]))
  return Variable(padded)
}

/// Builds the model a configuration describes.
public func makeModel(_ config: ModelConfig) throws -> FCNModel { try FCNModel(config) }
