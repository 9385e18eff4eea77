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
  private let position: [String: Int]
  /// The stretches `recomputesInBackward` recomputes: each VGG block, from the node after the
  /// previous block's pool (or after the input) to its own pool, read from outside only through
  /// that pool and reading only what comes before it, with no dropout inside.
  public let segments: [ClosedRange<Int>]
  /// Activation checkpointing (`fcn train --recompute on`): in training, keep only each
  /// segment's input for backward and run the segment again there. Same results bit for bit,
  /// one more forward of the backbone per step, the backbone's activations alive one block at
  /// a time.
  public var recomputesInBackward = false

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
    self.position = position
    segments = recomputableSegments(nodes, position: position)
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
    try run(0...0, on: &values, image: x)
    var i = 1
    while i < nodes.count {
      if recomputesInBackward, Tape.current != nil, let segment = segments.first(where: { $0.lowerBound == i }) {
        values[segment.upperBound] = try recomputedInBackward(values[i - 1]!) { [unowned self] input in
          var local = [Variable?](repeating: nil, count: nodes.count)
          local[segment.lowerBound - 1] = input
          try run(segment, on: &local, image: x)
          return local[segment.upperBound]!
        }
        if lastUse[i - 1] <= segment.upperBound { values[i - 1] = nil }
        i = segment.upperBound + 1
      } else {
        try run(i...i, on: &values, image: x)
        i += 1
      }
    }
    return values[nodes.count - 1]!
  }

  /// Runs the nodes of `range` on the values computed so far, releasing each input after its
  /// last reader.
  private func run(_ range: ClosedRange<Int>, on values: inout [Variable?], image x: Variable) throws {
    for i in range {
      let node = nodes[i]
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
  }
}

/// Builds the model a configuration describes.
public func makeModel(_ config: ModelConfig) throws -> FCNModel { try FCNModel(config) }

/// The segments `FCNModel.recomputesInBackward` may recompute (see there).
func recomputableSegments(_ nodes: [GraphNode], position: [String: Int]) -> [ClosedRange<Int>] {
  var segments: [ClosedRange<Int>] = []
  var start = 1
  for (end, node) in nodes.enumerated() where end >= start && node.op is MaxPool2D {
    let range = start...end
    start = end + 1
    let inside = range.allSatisfy { i in
      !(nodes[i].op is Dropout2D) && nodes[i].inputs.allSatisfy { (range.lowerBound - 1..<i).contains(position[$0]!) }
    }
    let readOutside = nodes.indices.contains { j in
      !range.contains(j) && nodes[j].inputs.contains { range.lowerBound..<range.upperBound ~= position[$0]! }
    }
    if inside && !readOutside && range.count > 1 { segments.append(range) }
  }
  return segments
}
