import Foundation
import NN

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
  /// Plain-words notes on the geometry (pad 100, 7×7 fc6, the course code's failure sizes).
  public var notes: [String]
}

/// The geometry and cost of `config` at an input of batch × channels × height × width.
public func modelInfo(config: ModelConfig, height: Int, width: Int, batch: Int = 1) throws -> ModelInfo {
  guard height >= 1, width >= 1, batch >= 1 else {
    throw FCNError.unsupportedInput("info: size must be at least 1×1 and batch at least 1, got \(batch)×\(height)×\(width)")
  }
  let model = try FCNModel(config, randomInit: false)
  var shapes: [String: [Int]] = [:]
  var rows: [LayerInfo] = []
  for node in model.nodes {
    let ins = node.inputs.map { shapes[$0]! }
    var out: [Int], op: String, padding = 0, params = 0, flops = 0
    switch node.op {
    case .input:
      out = [batch, config.inputChannels, height, width]
      op = "input"
    case .padToMultiple(let m):
      let s = ins[0]
      out = [s[0], s[1], SpatialSize.padded(s[2], multiple: m), SpatialSize.padded(s[3], multiple: m)]
      op = "zero-pad bottom/right to /\(m)"
    case .conv(let c):
      let s = ins[0], k = c.weight.shape[2], g = c.geometry
      padding = g.padding.h
      out = [
        s[0], c.weight.shape[0], SpatialSize.conv(s[2], kernel: k, stride: g.stride.h, padding: padding),
        SpatialSize.conv(s[3], kernel: k, stride: g.stride.w, padding: padding),
      ]
      guard out[2] >= 1, out[3] >= 1 else {
        throw FCNError.geometry("\(node.name): a \(k)×\(k) convolution does not fit its input \(fmt(s)) (output \(out[2])×\(out[3]))")
      }
      op = "conv \(k)×\(k)/\(g.stride.h)" + (padding > 0 ? " pad \(padding)" : "") + (c.fuseReLU ? " +ReLU" : "")
      params = c.parameters.reduce(0) { $0 + $1.value.count }
      flops = 2 * out.reduce(1, *) * c.weight.shape[1] * k * k
    case .batchNorm(let b):
      out = ins[0]
      op = "batch norm"
      params = b.parameters.reduce(0) { $0 + $1.value.count }
    case .relu:
      out = ins[0]
      op = "ReLU (in place)"
    case .dropout(let d):
      out = ins[0]
      op = "dropout2d p=\(d.p)"
    case .maxPool(let p):
      let s = ins[0]
      out = [
        s[0], s[1], SpatialSize.pool(s[2], kernel: p.kernel, stride: p.stride, padding: p.padding, ceilMode: p.ceilMode),
        SpatialSize.pool(s[3], kernel: p.kernel, stride: p.stride, padding: p.padding, ceilMode: p.ceilMode),
      ]
      guard out[2] >= 1, out[3] >= 1 else {
        throw FCNError.geometry("\(node.name): input \(fmt(s)) is smaller than the \(p.kernel)×\(p.kernel) pooling window")
      }
      op = "max pool \(p.kernel)×\(p.kernel)/\(p.stride)" + (p.ceilMode ? " ceil" : " floor")
    case .deconv(let d):
      let s = ins[0], k = d.weight.shape[2]
      padding = d.padding
      out = [
        s[0], d.weight.shape[1], SpatialSize.deconv(s[2], kernel: k, stride: d.stride, padding: padding),
        SpatialSize.deconv(s[3], kernel: k, stride: d.stride, padding: padding),
      ]
      op = "deconv \(k)×\(k)/\(d.stride)" + (padding > 0 ? " pad \(padding)" : "") + (d.weight.trainable ? "" : " (frozen)")
      params = d.parameters.reduce(0) { $0 + $1.value.count }
      flops = 2 * s.reduce(1, *) * d.weight.shape[1] * k * k
    case .scale(let f):
      out = ins[0]
      op = "scale ×\(f)"
    case .add:
      guard ins[0] == ins[1] else {
        throw FCNError.geometry("\(node.name): \(node.inputs[0]) \(fmt(ins[0])) and \(node.inputs[1]) \(fmt(ins[1])) differ")
      }
      out = ins[0]
      op = "add \(node.inputs[0]) + \(node.inputs[1])"
    case .crop(let offset):
      let s = ins[0], r = ins[1]
      guard offset + r[2] <= s[2], offset + r[3] <= s[3] else {
        throw FCNError.geometry(
          "\(node.name): cropping \(node.inputs[0]) \(fmt(s)) at offset \(offset) to \(r[2])×\(r[3]) does not fit")
      }
      out = [s[0], s[1], r[2], r[3]]
      op = "crop at (\(offset), \(offset)) to \(node.inputs[1])'s size"
    }
    shapes[node.name] = out
    rows.append(
      LayerInfo(
        name: node.name, operation: op, outputShape: out, stride: node.coords.stride, receptiveField: node.receptive.field,
        padding: padding, parameters: params, flops: flops))
  }

  // Memory: activation bytes, with in-place ReLU and eval-mode dropout sharing their input's
  // storage and no-op crops free.
  let activationBytes = rows.map { row -> Int in
    row.operation.hasPrefix("ReLU") || row.operation.hasPrefix("dropout") || row.operation == "input" ? 0 : 4 * row.outputShape.reduce(1, *)
  }
  var peak = 0
  var live: [String: Int] = [:]
  var lastUse: [String: Int] = [:]
  for (i, n) in model.nodes.enumerated() { for input in n.inputs { lastUse[input] = i } }
  for (i, n) in model.nodes.enumerated() {
    live[n.name] = activationBytes[i]
    peak = max(peak, live.values.reduce(0, +))
    for input in n.inputs where lastUse[input] == i { live[input] = nil }
  }
  let paramCount = model.parameterCount
  let trainable = model.parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
  let weights = 4 * paramCount
  let kept = activationBytes.reduce(0, +)
  let training = weights + 2 * 4 * trainable + kept + 2 * (activationBytes.max() ?? 0)
  return ModelInfo(
    config: config, inputShape: [batch, config.inputChannels, height, width], layers: rows, crops: model.crops,
    parameterCount: paramCount, trainableParameterCount: trainable, forwardFLOPs: rows.reduce(0) { $0 + $1.flops },
    weightBytes: weights, inferenceBytes: weights + peak, trainingBytes: training,
    notes: geometryNotes(config, model: model, height: height, width: width))
}

/// `fcn info` as text.
public func infoReport(config: ModelConfig, height: Int, width: Int, batch: Int = 1) throws -> String {
  let info = try modelInfo(config: config, height: height, width: width, batch: batch)
  var out = """
    \(config.name): \(config.backbone.rawValue) backbone, \(config.head.rawValue) head, \(config.classes) classes, \
    width ×\(num(config.width)), fc \(config.fc), upsampling \(config.frozenUpsampling ? "frozen" : "learnable")
    input \(fmt(info.inputShape))

    """
  let header = ["layer", "operation", "output", "stride", "RF", "pad", "params"]
  var table = [header]
  for l in info.layers {
    table.append([
      l.name, l.operation, fmt(l.outputShape), strideText(l.stride), num(l.receptiveField), String(l.padding),
      l.parameters > 0 ? String(l.parameters) : "",
    ])
  }
  let widths = (0..<header.count).map { c in table.map { $0[c].count }.max()! }
  for row in table {
    out += zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
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
    training step with SGD momentum \(mib(info.trainingBytes))

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
  var lines: [String] = [], line = indent + "- "
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
    notes.append(
      "Why conv1_1 pads by 100: fc6 is a 7×7 convolution on pool5, and pool5 is the input shrunk 32 times. Without the padding an input side below 193 px gives a pool5 side below 7 (here \(side) px → \(without)), so fc6 has no valid position and the net cannot run at all; with 100 px on every side pool5 is ⌈(side + 198) / 32⌉ ≥ 7 for any side ≥ 1 (here \(withPad)). The border this adds is removed again by the crops, which is why their offsets are not zero.")
    notes.append(
      "Why fc6 is 7×7: it is VGG's first fully connected layer (25088 = 512·7·7 inputs) turned into a convolution, so ImageNet weights load unchanged and each fc6 cell sees a \(num(fc6.receptive.field)) px window instead of pool5's \(num(pool5.receptive.field)). A 1×1 fc6 (the compact head, and the course code) needs no padding, only an input padded to a multiple of 32, but it cannot take the pretrained classifier and sees less context.")
  } else {
    notes.append(
      "Compact head: fc6 is 1×1, so no border padding is needed; the input is zero-padded at the bottom/right to a multiple of 32 so that every pool halves exactly and every upsampled map lines up with its skip, and the logits are cropped back to the input size. Each fc6 cell sees \(num(fc6.receptive.field)) px (a 7×7 fc6 would see \(num(pool5.receptive.field + 6 * pool5.receptive.jump)) px).")
  }
  if config.isSeed || config.head == .compact {
    let floorSizes = poolSizes(height, ceil: false), floorW = poolSizes(width, ceil: false)
    let up4 = (2 * floorSizes[4], 2 * floorW[4]), p4 = (floorSizes[3], floorW[3])
    if up4 != p4 {
      notes.append(
        "The course's PyTorch class cannot run at \(height)×\(width): its floor pools give pool4 \(p4.0)×\(p4.1) and pool5 \(floorSizes[4])×\(floorW[4]), and upsample_double makes that \(up4.0)×\(up4.1), so 'upsample_double(x) + pool4' fails (at 250×250: 14 vs 15). Only multiples of 32 keep every halving exact. swift-fcn pads to \(SpatialSize.padded(height, multiple: 32))×\(SpatialSize.padded(width, multiple: 32)) and crops back, which gives exactly the class's logits on the padded image.")
    } else {
      notes.append(
        "The course's PyTorch class runs at \(height)×\(width)\(height % 32 == 0 && width % 32 == 0 ? "" : " only by luck of the rounding"); it fails whenever the halvings stop being exact at the skips, e.g. 250×250: pool4 is 15×15 but pool5 7×7, doubled to 14×14, so the pool4 skip cannot be added (14 vs 15). swift-fcn pads to a multiple of 32 and crops back.")
    }
  }
  return notes
}
