import Foundation

/// VGG backbones: the number of 3×3 convolutions in each of the five blocks, with or without
/// BatchNorm after every convolution.
public enum Backbone: String, Codable, CaseIterable, Sendable {
  case vgg11, vgg13, vgg16, vgg19
  case vgg11bn = "vgg11-bn"
  case vgg13bn = "vgg13-bn"
  case vgg16bn = "vgg16-bn"
  case vgg19bn = "vgg19-bn"

  public var convsPerBlock: [Int] {
    switch self {
    case .vgg11, .vgg11bn: return [1, 1, 2, 2, 2]
    case .vgg13, .vgg13bn: return [2, 2, 2, 2, 2]
    case .vgg16, .vgg16bn: return [2, 2, 3, 3, 3]
    case .vgg19, .vgg19bn: return [2, 2, 4, 4, 4]
    }
  }

  public var batchNorm: Bool { rawValue.hasSuffix("-bn") }

  /// Output channels of the five blocks at width 1.
  public static let blockChannels = [64, 128, 256, 512, 512]

  public static func parse(_ name: String) throws -> Backbone {
    let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
    let normalized = key.hasSuffix("bn") && !key.hasSuffix("-bn") ? String(key.dropLast(2)) + "-bn" : key
    guard let b = Backbone(rawValue: normalized) else {
      throw FCNError.unknownBackbone(name, valid: Backbone.allCases.map(\.rawValue))
    }
    return b
  }
}

/// `paper`: conv1_1 padding 100, 7×7 fc6, deconvs without padding and computed crops (any input
/// size works because of the padding). `compact`: 1×1 fc6, input padded to a multiple of 32,
/// deconvs with padding so every map lines up, output cropped back (the course code's layout).
public enum Head: String, Codable, CaseIterable, Sendable { case paper, compact }

/// Everything needed to rebuild a model: saved next to checkpoints as JSON.
public struct ModelConfig: Codable, Equatable, Sendable {
  public var model: ModelName
  /// The model's name as the command line and saved configs spell it.
  public var name: String { model.rawValue }
  public var classes: Int
  public var backbone: Backbone
  public var head: Head
  /// Channel multiplier of the backbone (1 = VGG's 64…512).
  public var width: Double
  /// Channels of fc6 and fc7 (4096 in the paper).
  public var fc: Int
  /// Bilinear deconvolutions kept fixed (no gradient, no update), as in the common PyTorch port.
  public var frozenUpsampling: Bool
  public var inputChannels: Int
  /// Seeds weight initialisation and the dropout generators.
  public var seed: UInt64

  /// Defaults by family: paper nets use VGG16, the paper head and frozen bilinear deconvs; the
  /// course nets use VGG19-BN, the compact head and learnable deconvs, as the course class.
  public init(
    model: ModelName, classes: Int, backbone: Backbone? = nil, head: Head? = nil, width: Double = 1, fc: Int = 4096,
    frozenUpsampling: Bool? = nil, inputChannels: Int = 3, seed: UInt64 = 0
  ) throws {
    let course = model.isCourse
    self.model = model
    self.classes = classes
    self.backbone = backbone ?? (course ? .vgg19bn : .vgg16)
    self.head = head ?? (course ? .compact : .paper)
    self.width = width
    self.fc = fc
    self.frozenUpsampling = frozenUpsampling ?? !course
    self.inputChannels = inputChannels
    self.seed = seed
    try validate()
  }

  /// The same, with the model named as a user types it (aliases included).
  public init(
    model name: String, classes: Int, backbone: Backbone? = nil, head: Head? = nil, width: Double = 1, fc: Int = 4096,
    frozenUpsampling: Bool? = nil, inputChannels: Int = 3, seed: UInt64 = 0
  ) throws {
    try self.init(
      model: ModelName(parsing: name), classes: classes, backbone: backbone, head: head, width: width, fc: fc,
      frozenUpsampling: frozenUpsampling, inputChannels: inputChannels, seed: seed)
  }

  private enum CodingKeys: String, CodingKey {
    case name, classes, backbone, head, width, fc, frozenUpsampling, inputChannels, seed
  }

  /// Hand-written JSON may give only `name` and `classes`; the rest takes the family's defaults.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      model: c.decode(ModelName.self, forKey: .name), classes: c.decode(Int.self, forKey: .classes),
      backbone: c.decodeIfPresent(Backbone.self, forKey: .backbone), head: c.decodeIfPresent(Head.self, forKey: .head),
      width: c.decodeIfPresent(Double.self, forKey: .width) ?? 1, fc: c.decodeIfPresent(Int.self, forKey: .fc) ?? 4096,
      frozenUpsampling: c.decodeIfPresent(Bool.self, forKey: .frozenUpsampling),
      inputChannels: c.decodeIfPresent(Int.self, forKey: .inputChannels) ?? 3,
      seed: c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(model, forKey: .name)
    try c.encode(classes, forKey: .classes)
    try c.encode(backbone, forKey: .backbone)
    try c.encode(head, forKey: .head)
    try c.encode(width, forKey: .width)
    try c.encode(fc, forKey: .fc)
    try c.encode(frozenUpsampling, forKey: .frozenUpsampling)
    try c.encode(inputChannels, forKey: .inputChannels)
    try c.encode(seed, forKey: .seed)
  }

  public func validate() throws {
    guard classes >= 1 else { throw FCNError.invalidConfig("classes must be at least 1, got \(classes)") }
    guard width > 0, width.isFinite else { throw FCNError.invalidConfig("width must be positive, got \(width)") }
    guard fc >= 1 else { throw FCNError.invalidConfig("fc must be at least 1, got \(fc)") }
    guard inputChannels >= 1 else {
      throw FCNError.invalidConfig("input channels must be at least 1, got \(inputChannels)")
    }
    // Configurations also come from files (a checkpoint's metadata): an absurd width or class
    // count must be refused here, not overflow a channel count or exhaust memory building it.
    let parameters = approximateParameterCount
    guard parameters <= Double(ModelConfig.maxParameters) else {
      throw FCNError.invalidConfig(
        "\(classes) classes, width \(width), fc \(fc) and \(inputChannels) input channels make about \(String(format: "%.3g", parameters)) parameters, more than the \(ModelConfig.maxParameters) accepted (the paper's FCN-8s has 134 million)"
      )
    }
    if model.isCourse && head != .compact {
      throw FCNError.invalidConfig(
        "\(name) is the course's net: its head is 'compact' (1×1 fc6), not '\(head.rawValue)'")
    }
  }

  /// Most parameters a model may have (4 GiB of fp32 weights, 8 times the paper's FCN-8s).
  public static let maxParameters = 1 << 30

  /// An upper bound on the parameter count, in floating point so that no setting overflows:
  /// backbone 3×3 convs, fc6 (7×7 in the paper head), fc7, score layers, and every
  /// upsampling deconvolution counted at the largest kernel (64×64) plus two 4×4.
  var approximateParameterCount: Double {
    var total = 0.0
    var previous = Double(inputChannels)
    for (i, convs) in backbone.convsPerBlock.enumerated() {
      let channels = Double(Backbone.blockChannels[i]) * width
      total += 9 * previous * channels + 9 * Double(convs - 1) * channels * channels
      previous = channels
    }
    let f = Double(fc)
    let k = Double(classes)
    total += previous * (head == .paper ? 49 : 1) * f + f * f
    total += k * (f + previous + Double(Backbone.blockChannels[2]) * width)
    total += k * k * (64 * 64 + 2 * 16)
    return total
  }

  /// The course's class (seed_fcn.py) with its module names.
  public var isCourse: Bool { model.isCourse }
  public var atOnce: Bool { model.atOnce }
  public var outputStride: Int { model.outputStride }

  /// Backbone channels of block `i` (0-based) after the width multiplier.
  public func blockChannels(_ i: Int) -> Int { max(1, Int((Double(Backbone.blockChannels[i]) * width).rounded())) }
}
