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
      try config.isCourse
      ? buildCourseFCN(config, randomInit: randomInit) : buildPaperFCN(config, randomInit: randomInit)
    nodes = built.nodes
    crops = built.crops
    vgg = built.vgg
    fc6 = built.fc6
    fc7 = built.fc7
    var seen = Set<ObjectIdentifier>()
    var modules: [Module] = []
    for m in built.modules ?? built.nodes.compactMap(\.op.layer) where seen.insert(ObjectIdentifier(m)).inserted {
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
    for n in nodes { (n.op as? Dropout2D)?.setTraining(training) }
  }

  /// Logits [N, K, H, W] for images [N, C, H, W], any H, W ≥ 1.
  public func callAsFunction(_ x: Variable) throws -> Variable {
    let xs = x.shape
    guard xs.count == 4, xs[1] == config.inputChannels, xs[0] >= 1, xs[2] >= 1, xs[3] >= 1 else {
      throw FCNError.unsupportedInput(
        "\(config.name): input must be [N, \(config.inputChannels), H, W] with N, H, W ≥ 1, got \(describe(xs))")
    }
    var values = [Variable?](repeating: nil, count: nodes.count)
    var position: [String: Int] = [:]
    for (i, node) in nodes.enumerated() {
      position[node.name] = i
      let inputs = node.inputs.map { values[position[$0]!]! }
      values[i] = try node.op.run(inputs, node: node, image: x)
      for input in node.inputs where lastUse[position[input]!] == i {
        let value = values[position[input]!]!.value
        values[position[input]!] = nil
        // Forward is done with it; an activation backward can rebuild (BatchNorm + ReLU output)
        // gives its storage back now, unless another node's value is the same tensor (in place).
        if value.recompute != nil, !values.contains(where: { $0?.value === value }) { value.release() }
      }
    }
    return values[nodes.count - 1]!
  }
}

/// Builds the model a configuration describes.
public func makeModel(_ config: ModelConfig) throws -> FCNModel { try FCNModel(config) }
