import FCN
import NN
import Tensor

/// Which convolutions post-training quantisation leaves in fp32.
public struct QuantizationOptions: Codable, Equatable, Sendable {
  /// The first convolution: its input is the signed, unrectified image.
  public var keepFirst: Bool
  /// Convolutions without a ReLU (score_fr / score and the pool skips' score layers): their
  /// outputs are the logits themselves, so every error there reaches the prediction.
  public var keepScore: Bool
  public var method: CalibrationMethod

  /// What `fcn quantize` and `fcn bench --precision int8` use unless told otherwise: chosen on
  /// the demo model (docs/benchmarks.md, issue 17): percentile kept val mIoU best (0.8007–0.8008
  /// vs fp32 0.8003; min-max 0.7998–0.8001; entropy 0.777), and keeping the first and score
  /// convolutions fp32 changed mIoU by at most 0.0003, within noise, so all are int8.
  public static let recommended = QuantizationOptions(keepFirst: false, keepScore: false, method: .percentile)

  public init(keepFirst: Bool, keepScore: Bool, method: CalibrationMethod) {
    self.keepFirst = keepFirst
    self.keepScore = keepScore
    self.method = method
  }
}

/// Activation statistics of a network over calibration images: the image ("data") and every
/// convolution's output, observed in fp32.
public struct Calibration {
  public private(set) var statistics: [String: ActivationStatistics] = [:]
  public private(set) var images = 0

  public init() {}

  /// Runs the (fp32) network on `image` and records what every observed tensor holds.
  public mutating func observe(_ network: InferenceNetwork, image: Tensor) throws {
    guard !network.isInt8 else {
      throw FCNError.invalidConfig("calibration needs the fp32 network; this one is already int8")
    }
    var stats = statistics
    _ = try network.run(image) { name, tensor in
      let plain = try tensor.plain()
      stats[name, default: ActivationStatistics()].observe(UnsafeBufferPointer(start: plain.floats, count: plain.count))
    }
    statistics = stats
    images += image.shape[0]
  }
}

extension InferenceNetwork {
  /// The activation each convolution reads, by the name calibration records it under: the
  /// convolution that produced it (through max pooling and padding, which keep the scale), or
  /// "data" for the image; nil when something else (a sum, a crop) is in between.
  public func inputSource(of conv: InferenceConv) -> String? {
    var producer: [String: InferenceStep] = [:]
    for s in steps { producer[s.output] = s }
    guard
      let step = steps.first(where: {
        switch $0.kind {
        case .conv(let c), .convSum(let c, _, _): return c === conv
        case .node: return false
        }
      })
    else { return nil }
    var name = step.inputs[0]
    while let p = producer[name] {
      switch p.kind {
      case .conv(let c), .convSum(let c, _, _): return c.name
      case .node(let node):
        if node.op is ImageInput { return "data" }
        guard node.op is MaxPool2D || node.op is PadToMultiple else { return nil }
        name = p.inputs[0]
      }
    }
    return nil
  }

  /// Post-training quantisation: each convolution not kept fp32 gets s8 weights (symmetric,
  /// per output channel), the input scale of the activation it reads and, when a ReLU ends it,
  /// a u8 output with its own activation's scale; the scales come from `calibration` by
  /// `options.method`. Returns the names of the convolutions now int8.
  @discardableResult
  public func quantize(_ calibration: Calibration, options: QuantizationOptions) throws -> [String] {
    var quantized: [String] = []
    for (index, conv) in convolutions.enumerated() {
      if conv.isInt8 { throw FCNError.invalidConfig("\(conv.name) is already int8") }
      if options.keepFirst && index == 0 { continue }
      if options.keepScore && !conv.fuseReLU { continue }
      guard let source = inputSource(of: conv), let input = calibration.statistics[source] else { continue }
      var outputScale: Float?
      if conv.fuseReLU {
        guard let own = calibration.statistics[conv.name] else {
          throw FCNError.invalidConfig("calibration saw no output of \(conv.name)")
        }
        outputScale = own.scale(options.method)
      }
      let q = QuantizedWeights(quantizing: try conv.weight.toArray(), shape: conv.weight.shape)
      try conv.setWeights(
        int8Tensor(shape: q.shape, values: q.values), bias: conv.bias,
        quantization: ConvQuantization(
          weightScales: q.scales, inputScale: input.scale(options.method), inputType: input.isSigned ? .s8 : .u8,
          outputScale: outputScale))
      quantized.append(conv.name)
    }
    return quantized
  }
}

/// A plain s8 tensor holding `values`.
public func int8Tensor(shape: [Int], values: [Int8]) throws -> Tensor {
  guard shape.reduce(1, *) == values.count else {
    throw TensorError.shapeMismatch(op: "int8 tensor", detail: "\(values.count) values for \(describe(shape))")
  }
  let t = try Tensor(shape: shape, dtype: .s8)
  values.withUnsafeBytes { t.buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  return t
}

/// The values of a plain s8 tensor.
public func int8Values(_ t: Tensor) -> [Int8] {
  Array(UnsafeBufferPointer(start: t.buffer.pointer.assumingMemoryBound(to: Int8.self), count: t.count))
}
