import Foundation
import NN
import Tensor

/// One row of `fcn info`: a graph node at a given input size.
public struct LayerInfo: Sendable {
  public var name: String
  /// What it does, e.g. "conv 3×3/1 pad 100 +ReLU".
  public var operation: String
  public var outputShape: [Int]
  /// Distance between neighbouring output cells in input pixels (1/2 after a 2× upsampling of a
  /// stride-1 map would read 0.5).
  public var stride: Double
  public var receptiveField: Double
  public var padding: Int
  public var parameters: Int
  /// Forward floating-point operations (2 per multiply-add) of convolutions and deconvolutions.
  public var flops: Int
}

/// Everything `fcn info` prints, as data.
public struct ModelInfo: Sendable {
  public var config: ModelConfig
  public var inputShape: [Int]
  public var layers: [LayerInfo]
  public var crops: [CropExplanation]
  public var parameterCount: Int
  public var trainableParameterCount: Int
  public var forwardFLOPs: Int
  /// Rough fp32 footprints: weights; inference (weights + the largest set of activations alive
  /// at once); a training step (weights, gradients, SGD momentum, every activation kept for
  /// backward and one gradient per activation in flight).
  public var weightBytes: Int
  public var inferenceBytes: Int
  public var trainingBytes: Int
  /// The same step when SGD updates each parameter during backward (`fcn train`'s default
  /// with SGD and --accumulate 1): no gradient per parameter, one transient for the largest.
  public var trainingBytesUpdatingDuringBackward: Int
  /// The two training figures with `--recompute on`: only each recomputed segment's input (and
  /// the activations outside the segments) kept, plus one segment's activations at a time.
  public var trainingBytesRecomputing: Int
  public var trainingBytesRecomputingDuringBackward: Int
  /// Plain-words notes on the geometry (pad 100, 7×7 fc6, the course code's failure sizes).
  public var notes: [String]

  /// The largest layer output, in bytes, in oneDNN's blocked layout (channels rounded up to 16),
  /// and its layer: what `largestTensorBytes` is compared with.
  public var largestActivation: (bytes: Int, layer: String) {
    var best = (bytes: 0, layer: "")
    for l in layers {
      let s = l.outputShape
      let bytes = s.count == 4 ? 4 * s[0] * ((s[1] + 15) / 16 * 16) * s[2] * s[3] : 4 * s.reduce(1, *)
      if bytes > best.bytes { best = (bytes, l.name) }
    }
    return best
  }
}

/// Most pixels (batch × height × width) `modelInfo` models; far beyond any machine's memory.
public let maxInfoPixels = 1 << 40

/// The geometry and cost of `config` at an input of batch × channels × height × width.
public func modelInfo(config: ModelConfig, height: Int, width: Int, batch: Int = 1) throws -> ModelInfo {
  try modelInfo(of: FCNModel(config, randomInit: false), height: height, width: width, batch: batch)
}

/// The same for a model already built (no second copy of its weights is made).
public func modelInfo(of model: FCNModel, height: Int, width: Int, batch: Int = 1) throws -> ModelInfo {
  let config = model.config
  guard height >= 1, width >= 1, batch >= 1 else {
    throw FCNError.unsupportedInput(
      "info: size must be at least 1×1 and batch at least 1, got \(batch)×\(height)×\(width)")
  }
  // Byte counts below multiply pixels by channels and add up layers: keep them inside Int
  // (a batch of 100000 at 40000×40000 overflowed and trapped).
  let (pixels, overflow) = height.multipliedReportingOverflow(by: width)
  guard !overflow, pixels <= maxInfoPixels / batch else {
    throw FCNError.unsupportedInput(
      "info: batch \(batch) at \(height)×\(width) is more than the \(maxInfoPixels) pixels (2^40) modelled")
  }
  var shapes: [String: [Int]] = [:]
  var rows: [LayerInfo] = []
  for node in model.nodes {
    let ins = node.inputs.map { shapes[$0]! }
    let out =
      node.op is ImageInput ? [batch, config.inputChannels, height, width] : try node.op.outputShape(ins, node: node)
    shapes[node.name] = out
    rows.append(
      LayerInfo(
        name: node.name, operation: node.op.summary(node), outputShape: out, stride: node.coords.stride,
        receptiveField: node.receptive.field, padding: node.op.padding,
        parameters: node.op.layer?.parameterCount ?? 0, flops: node.op.flops(inputs: ins, output: out)))
  }

  let memory = estimateMemory(model, rows)
  return ModelInfo(
    config: config, inputShape: [batch, config.inputChannels, height, width], layers: rows, crops: model.crops,
    parameterCount: model.parameterCount, trainableParameterCount: memory.trainableParameters,
    forwardFLOPs: rows.reduce(0) { $0 + $1.flops },
    weightBytes: memory.weights, inferenceBytes: memory.inference, trainingBytes: memory.training,
    trainingBytesUpdatingDuringBackward: memory.trainingDuringBackward,
    trainingBytesRecomputing: memory.recomputing,
    trainingBytesRecomputingDuringBackward: memory.recomputingDuringBackward,
    notes: geometryNotes(config, model: model, height: height, width: width))
}

/// fp32 memory of inference and of one training step (SGD with momentum), modelled on what the
/// engine keeps: activations in oneDNN's blocked layouts (channels rounded up to the SIMD
/// block), max-pool workspaces, the loss's softmax copy and gradient, and the transient buffers
/// of the biggest layer (its blocked weight copy, which convolutions make afresh rather than keep,
/// and its blocked weight gradient). Checked against the buffer pool's high-water mark after two steps (full fcn8s at 375×500:
/// estimate within 15% of it; see ModelInfoMemoryTests).
private func estimateMemory(_ model: FCNModel, _ rows: [LayerInfo]) -> (
  weights: Int, inference: Int, training: Int, trainingDuringBackward: Int, recomputing: Int,
  recomputingDuringBackward: Int, trainableParameters: Int
) {
  let block = Engine.isa.hasAVX512 ? 16 : 8
  func blocked(_ s: [Int]) -> Int { 4 * s[0] * ((s[1] + block - 1) / block * block) * s[2] * s[3] }
  var kept = 0
  var keptByNode: [Int] = []
  var inFlight = 0
  var inferenceBytes: [Int] = []
  var shapes: [String: [Int]] = [:]
  // A convolution whose output only a BatchNorm with a fused ReLU reads (VGG-BN): see below.
  var readers: [String: [GraphNode]] = [:]
  for n in model.nodes { for input in n.inputs { readers[input, default: []].append(n) } }
  func feedsFusedBatchNorm(_ node: GraphNode) -> Bool {
    guard let r = readers[node.name], r.count == 1, let bn = r[0].op as? BatchNorm2D else { return false }
    return bn.fusesFollowingReLU
  }
  for (node, row) in zip(model.nodes, rows) {
    shapes[node.name] = row.outputShape
    let bytes = blocked(row.outputShape)
    let m = node.op.memory(outputBytes: bytes, inputs: node.inputs.map { shapes[$0]! }, output: row.outputShape)
    kept += m.training
    keptByNode.append(m.training)
    // Gradients in flight around a kept activation in backward: three (dy, dx, a fused
    // ReLU's dy), since the pool lets a request take a larger idle buffer (five when it took
    // exact sizes only); one for a convolution–BatchNorm–ReLU layer, whose BatchNorm writes
    // its gradient over the incoming one and gives its input back (the gradient takes the
    // kept output's place), and whose next convolution rebuilds its input and gives it back
    // before backward-data's output exists (BatchNormReLUMemoryTests: 1.25).
    if m.training > 0 && !(node.op is BatchNorm2D) {
      inFlight = max(inFlight, (feedsFusedBatchNorm(node) ? 1 : 3) * bytes)
    }
    inferenceBytes.append(m.inference)
  }
  // Inference: replay the pass against the buffer pool's policy (`BufferPool.fit`: an idle
  // buffer of the same size, else one up to 8× larger, else a fresh one): per node, the blocked
  // weight copy, then the output; the copy is released, and so is each input after its last
  // reader, each under the size it was given.
  var lastUse: [String: Int] = [:]
  for (i, n) in model.nodes.enumerated() { for input in n.inputs { lastUse[input] = i } }
  var free: [Int: Int] = [:]
  var held = 0
  func take(_ bytes: Int) -> Int {
    guard bytes > 0 else { return 0 }
    let want = (bytes + 63) & ~63
    guard let size = BufferPool.fit(want, idle: free.keys) else {
      held += want
      return want
    }
    free[size] = free[size]! > 1 ? free[size]! - 1 : nil
    return size
  }
  func give(_ bytes: Int) { if bytes > 0 { free[bytes, default: 0] += 1 } }
  var outputHeld: [String: Int] = [:]
  for (i, n) in model.nodes.enumerated() {
    let weightCopy =
      n.op.layer.map { l -> Int in
        if l is BatchNorm2D { return 0 }
        return 4 * (l.parameters.first?.value.count ?? 0)
      } ?? 0
    let copy = take(weightCopy)
    outputHeld[n.name] = take(inferenceBytes[i])
    give(copy)
    for input in n.inputs where lastUse[input] == i { give(outputHeld[input]!) }
  }
  // Only the layers the forward pass runs get blocked copies, gradients and momentum (the
  // course class also owns modules its forward never calls, e.g. FCN-16's upsample8).
  let used = model.nodes.compactMap(\.op.layer)
  var seen = Set<ObjectIdentifier>()
  let usedParameters = used.filter { seen.insert(ObjectIdentifier($0)).inserted }.flatMap(\.parameters)
  let parameters = model.parameterCount
  let trainable = model.parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
  let usedTrainable = usedParameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
  let largestLayer = 4 * (used.map { $0.parameters.reduce(0) { $0 + $1.value.count } }.max() ?? 0)
  // A largest layer whose weight is kept blocked (BlockedWeights) has no blocked copy made in
  // forward and no plain gradient beside the blocked one: one transient of its size in
  // backward (backward-data's copy, then the weight gradient in the same buffer), not three.
  let largestIsBlocked =
    used.max { $0.parameters.reduce(0) { $0 + $1.value.count } < $1.parameters.reduce(0) { $0 + $1.value.count } }
    .map { l -> Bool in
      guard let conv = l as? Conv2D, conv.groups == 1 else { return false }
      return 4 * conv.weight.value.count >= BlockedWeights.threshold
    } ?? false
  let weights = 4 * parameters
  let logits = 4 * (rows.last?.outputShape.reduce(1, *) ?? 0)
  let inference = weights + held
  // Training: weights, gradients and momentum; the largest layer's blocked weight copy (made
  // afresh in forward and backward, not kept; one for a weight kept blocked) and its blocked
  // weight gradient; activations kept for backward, the loss's two logits-sized buffers and the
  // gradients in flight (above); +10% for what the pool holds idle between sizes.
  let activations = (kept + 2 * logits + inFlight) * 11 / 10
  let training = weights + 2 * 4 * usedTrainable + (largestIsBlocked ? 1 : 2) * largestLayer + activations
  let duringBackward = training - 4 * usedTrainable + (largestIsBlocked ? 0 : largestLayer)
  // Recomputing: a segment's activations but its output live only while it runs (forward,
  // then its replay in backward), one segment at a time.
  let inner = model.segments.map { seg in seg.dropLast().reduce(0) { $0 + keptByNode[$1] } }
  let saved = (inner.reduce(0, +) - (inner.max() ?? 0)) * 11 / 10
  return (weights, inference, training, duringBackward, training - saved, duringBackward - saved, trainable)
}

/// `fcn info` as text.
public func infoReport(config: ModelConfig, height: Int, width: Int, batch: Int = 1) throws -> String {
  let info = try modelInfo(config: config, height: height, width: width, batch: batch)
  var out = """
    \(config.name): \(config.backbone.rawValue) backbone, \(config.head.rawValue) head, \(config.classes) classes, \
    width ×\(num(config.width)), fc \(config.fc), upsampling \(config.frozenUpsampling ? "frozen" : "learnable")
    input \(describe(info.inputShape))

    """
  let header = ["layer", "operation", "output", "stride", "RF", "pad", "params"]
  var table = [header]
  for l in info.layers {
    table.append([
      l.name, l.operation, describe(l.outputShape), strideText(l.stride), num(l.receptiveField), String(l.padding),
      l.parameters > 0 ? String(l.parameters) : "",
    ])
  }
  let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
  for row in table {
    out +=
      zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
      .trimmingCharacters(in: .whitespaces) + "\n"
  }
  out += "\ncrop offsets (computed from the layer geometry):\n"
  for c in info.crops {
    out += "  \(c.node): \(c.source) cropped at \(c.offset) to \(c.reference)'s size\n"
    for line in c.reason { out += "    \(line)\n" }
  }
  out += """

    parameters: \(grouped(info.parameterCount)) (\(grouped(info.trainableParameterCount)) trainable)
    forward: \(gflops(info.forwardFLOPs)) GFLOP at this size and batch (convolutions and deconvolutions, 2 per multiply-add)
    memory (fp32, estimate): weights \(mib(info.weightBytes)); inference \(mib(info.inferenceBytes)); \
    training step with SGD momentum \(mib(info.trainingBytes)) \
    (\(mib(info.trainingBytesUpdatingDuringBackward)) updating during backward, fcn train's default)

    why the geometry is what it is:

    """
  for note in info.notes { out += wrap(note, indent: "  ") + "\n" }
  return out
}

private func strideText(_ s: Double) -> String { s >= 1 ? num(s) : "1/\(num(1 / s))" }
private func grouped(_ n: Int) -> String {
  let f = NumberFormatter()
  f.numberStyle = .decimal
  f.groupingSeparator = ","
  return f.string(from: NSNumber(value: n)) ?? String(n)
}
private func gflops(_ n: Int) -> String { String(format: "%.1f", Double(n) / 1e9) }
private func mib(_ n: Int) -> String { String(format: "%.0f MiB", Double(n) / 1_048_576) }

/// Wraps a paragraph at 100 columns.
private func wrap(_ text: String, indent: String) -> String {
  var lines: [String] = []
  var line = indent + "- "
  for word in text.split(separator: " ") {
    if line.count + word.count + 1 > 100 && line.count > indent.count + 2 {
      lines.append(line)
      line = indent + "  "
    }
    line += (line.hasSuffix(" ") ? "" : " ") + word
  }
  lines.append(line)
  return lines.joined(separator: "\n")
}

/// Sizes after the five 2×2 pools of a VGG with 3×3/pad-1 convs, floor or ceil.
func poolSizes(_ n: Int, ceil: Bool, firstPadding: Int = 1) -> [Int] {
  var s = n + 2 * firstPadding - 2  // conv1_1
  var out: [Int] = []
  for _ in 0..<5 {
    s = poolOutput(s, kernel: 2, stride: 2, padding: 0, ceilMode: ceil)
    out.append(s)
  }
  return out
}

/// The plain-words part of `fcn info`.
func geometryNotes(_ config: ModelConfig, model: FCNModel, height: Int, width: Int) -> [String] {
  var notes: [String] = []
  let side = min(height, width)
  let fc6 = model.nodes.first { $0.name == "fc6" }!
  let pool5 = model.nodes.first { $0.name == model.vgg.pools[4] }!
  if config.head == .paper {
    let withPad = poolSizes(side, ceil: true, firstPadding: 100)[4]
    let without = poolSizes(side, ceil: true, firstPadding: 1)[4]
    let atThisSize =
      without < 7
      ? "at \(side) px pool5 would be \(without) cells and fc6 could not run at all"
      : "at \(side) px pool5 would be \(without) cells and fc6 would give \(without - 6), whose upsampled scores cover about \((without - 6) * 32) px of the \(side)"
    notes.append(
      "Why conv1_1 pads by 100: fc6 is a 7×7 convolution without padding on pool5, the input shrunk 32 times, so it eats 6 cells (192 px) of the map. Without the padding an input side below 193 px gives pool5 fewer than 7 cells and the net cannot run at all, and larger inputs get logits that do not reach the image border (\(atThisSize)). With 100 px on every side (200 ≥ 192) pool5 is ⌈(side + 198) / 32⌉ ≥ 7 cells for any side ≥ 1 (here \(withPad)) and the scores cover the whole image; the crops then cut the extra border away, which is why their offsets are not zero."
    )
    notes.append(
      "Why fc6 is 7×7: it is VGG's first fully connected layer (25088 = 512·7·7 inputs) turned into a convolution, so ImageNet weights load unchanged and each fc6 cell sees a \(num(fc6.receptive.field)) px window instead of pool5's \(num(pool5.receptive.field)). A 1×1 fc6 (the compact head, and the course code) needs no padding, only an input padded to a multiple of 32, but it cannot take the pretrained classifier and sees less context."
    )
  } else {
    notes.append(
      "Compact head: fc6 is 1×1, so no border padding is needed; the input is zero-padded at the bottom/right to a multiple of 32 so that every pool halves exactly and every upsampled map lines up with its skip, and the logits are cropped back to the input size. Each fc6 cell sees \(num(fc6.receptive.field)) px (a 7×7 fc6 would see \(num(pool5.receptive.field + 6 * pool5.receptive.jump)) px)."
    )
  }
  if config.isCourse || config.head == .compact {
    let floorSizes = poolSizes(height, ceil: false)
    let floorW = poolSizes(width, ceil: false)
    let up4 = (2 * floorSizes[4], 2 * floorW[4])
    let p4 = (floorSizes[3], floorW[3])
    if up4 != p4 {
      notes.append(
        "The course's PyTorch class cannot run at \(height)×\(width): its floor pools give pool4 \(p4.0)×\(p4.1) and pool5 \(floorSizes[4])×\(floorW[4]), and upsample_double makes that \(up4.0)×\(up4.1), so 'upsample_double(x) + pool4' fails (at 250×250: 14 vs 15). Only multiples of 32 keep every halving exact. swift-fcn pads to \(SpatialSize.padded(height, multiple: 32))×\(SpatialSize.padded(width, multiple: 32)) and crops back, which gives exactly the class's logits on the padded image."
      )
    } else {
      notes.append(
        "The course's PyTorch class runs at \(height)×\(width)\(height % 32 == 0 && width % 32 == 0 ? "" : " only by luck of the rounding"); it fails whenever the halvings stop being exact at the skips, e.g. 250×250: pool4 is 15×15 but pool5 7×7, doubled to 14×14, so the pool4 skip cannot be added (14 vs 15). swift-fcn pads to a multiple of 32 and crops back."
      )
    }
  }
  return notes
}
