import FCN
import Foundation
import NN
import Tensor
import WeightIO

/// The quantised model file (`fcn quantize --out model.int8.safetensors`): a .safetensors whose
/// metadata says it is int8 ("format": "swift-fcn int8 1"), with the model configuration
/// (`fcn.config`) and one JSON record per convolution (precision, input type and scales), and
/// per convolution `NAME.weight` (I8 when int8, else F32; BatchNorm already folded),
/// `NAME.bias` (F32), `NAME.weight_scale` (F32 [O], int8 only); the deconvolutions' weights
/// under their state_dict names. Written atomically; read back with every part checked.
public enum Int8File {
  public static let format = "swift-fcn int8 1"
  public static let formatKey = "format"
  public static let layersKey = "fcn.int8.layers"
  public static let calibrationKey = "fcn.int8.calibration"

  /// One convolution's int8 facts.
  struct LayerRecord: Codable {
    var name: String
    var int8: Bool
    var inputType: String?
    var inputScale: Float?
    var outputScale: Float?
  }

  /// How the file was made (for people; the network does not need it).
  public struct CalibrationRecord: Codable, Equatable, Sendable {
    public var options: QuantizationOptions
    public var images: Int
    public init(options: QuantizationOptions, images: Int) {
      self.options = options
      self.images = images
    }
  }

  /// Whether a weight file's metadata marks it as int8.
  public static func isInt8(_ file: WeightFile) -> Bool { file.metadata[formatKey] == format }

  public static func save(_ network: InferenceNetwork, calibration: CalibrationRecord, to url: URL) throws {
    // A BatchNorm left unfolded would need its running statistics too; the FCN graphs fold all.
    for step in network.steps {
      if case .node(let node) = step.kind, node.op is BatchNorm2D {
        throw WeightIOError(file: url.path, "\(node.name): an unfolded BatchNorm cannot be stored in an int8 file")
      }
    }
    var tensors: [String: HostArray] = [:]
    var layers: [LayerRecord] = []
    for conv in network.convolutions {
      let w = conv.weight
      if let q = conv.quantization {
        tensors["\(conv.name).weight"] = try HostArray(
          shape: w.shape, dtype: .i8, bytes: int8Values(w).map { UInt8(bitPattern: $0) })
        tensors["\(conv.name).weight_scale"] = HostArray(shape: [q.weightScales.count], floats: q.weightScales)
        layers.append(
          LayerRecord(
            name: conv.name, int8: true, inputType: q.inputType.rawValue, inputScale: q.inputScale,
            outputScale: q.outputScale))
      } else {
        tensors["\(conv.name).weight"] = HostArray(shape: w.shape, floats: try w.toArray())
        layers.append(LayerRecord(name: conv.name, int8: false))
      }
      tensors["\(conv.name).bias"] = HostArray(shape: conv.bias.shape, floats: try conv.bias.toArray())
    }
    for p in network.parameters { tensors[p.name] = HostArray(shape: p.shape, floats: try p.values) }
    let encoder = JSONEncoder()
    let metadata = [
      formatKey: format,
      ModelWeights.configKey: String(decoding: try encoder.encode(network.config), as: UTF8.self),
      layersKey: String(decoding: try encoder.encode(layers), as: UTF8.self),
      calibrationKey: String(decoding: try encoder.encode(calibration), as: UTF8.self),
    ]
    try SafeTensors.write(tensors, metadata: metadata, to: url)
  }

  /// The network an int8 file describes, every tensor and record checked against the model its
  /// configuration builds: a damaged or mismatched file is an error naming the file and the part.
  public static func load(_ file: WeightFile) throws -> InferenceNetwork {
    let path = file.path
    guard isInt8(file) else {
      throw WeightIOError(file: path, "not an int8 model file (no \"\(formatKey)\": \"\(format)\" metadata)")
    }
    guard let config = try file.exportedConfig() else {
      throw WeightIOError(file: path, "int8 file without its model configuration ('\(ModelWeights.configKey)')")
    }
    guard let layers = try file.decodeMetadata([LayerRecord].self, key: layersKey, what: "int8 layer") else {
      throw WeightIOError(file: path, "int8 file without its layer records ('\(layersKey)')")
    }
    let network = try InferenceNetwork(folding: FCNModel(config, randomInit: false))
    var records: [String: LayerRecord] = [:]
    for r in layers { records[r.name] = r }
    guard records.count == layers.count, Set(records.keys) == Set(network.convolutions.map(\.name)) else {
      throw WeightIOError(
        file: path,
        "its layer records (\(layers.map(\.name).joined(separator: ", "))) do not match the convolutions of \(config.name) (\(network.convolutions.map(\.name).joined(separator: ", ")))"
      )
    }
    var used = Set<String>()
    func tensor(_ key: String, _ dtype: ElementType, _ shape: [Int]) throws -> HostArray {
      guard let a = file.tensors[key] else { throw WeightIOError(file: path, key: key, "missing") }
      guard a.dtype == dtype, a.shape == shape else {
        throw WeightIOError(
          file: path, key: key, "is \(a.dtype.rawValue) \(a.shape), the model needs \(dtype.rawValue) \(shape)")
      }
      used.insert(key)
      return a
    }
    func finite(_ values: [Float], _ key: String, positive: Bool) throws -> [Float] {
      guard values.allSatisfy({ $0.isFinite && (!positive || $0 > 0) }) else {
        throw WeightIOError(file: path, key: key, positive ? "scales must be finite and > 0" : "has non-finite values")
      }
      return values
    }
    for conv in network.convolutions {
      let r = records[conv.name]!
      let shape = conv.weight.shape
      let bias = try Tensor(
        shape: [conv.outChannels],
        values: finite(
          tensor("\(conv.name).bias", .f32, [conv.outChannels]).floats(), "\(conv.name).bias", positive: false))
      guard r.int8 else {
        let w = try finite(tensor("\(conv.name).weight", .f32, shape).floats(), "\(conv.name).weight", positive: false)
        try conv.setWeights(Tensor(shape: shape, values: w), bias: bias, quantization: nil)
        continue
      }
      let what = "\(layersKey) record of \(conv.name)"
      guard let type = r.inputType.flatMap(DType.init(rawValue:)), type == .u8 || type == .s8 else {
        throw WeightIOError(file: path, key: what, "input type must be u8 or s8, got \(r.inputType ?? "none")")
      }
      guard let inputScale = r.inputScale, inputScale.isFinite, inputScale > 0 else {
        throw WeightIOError(file: path, key: what, "needs a finite input scale > 0")
      }
      if let s = r.outputScale, !(s.isFinite && s > 0) {
        throw WeightIOError(file: path, key: what, "output scale \(s) must be finite and > 0")
      }
      let w = try tensor("\(conv.name).weight", .i8, shape).bytes.map { Int8(bitPattern: $0) }
      guard !w.contains(-128) else {
        throw WeightIOError(file: path, key: "\(conv.name).weight", "holds -128, outside the symmetric range ±127")
      }
      let scales = try finite(
        tensor("\(conv.name).weight_scale", .f32, [conv.outChannels]).floats(), "\(conv.name).weight_scale",
        positive: true)
      try conv.setWeights(
        int8Tensor(shape: shape, values: w), bias: bias,
        quantization: ConvQuantization(
          weightScales: scales, inputScale: inputScale, inputType: type, outputScale: r.outputScale))
    }
    for p in network.parameters {
      let values = try finite(tensor(p.name, .f32, p.shape).floats(), p.name, positive: false)
      let t = try Tensor(shape: p.shape, values: values)
      try reorder(from: t, to: p.value)
    }
    if let extra = file.tensors.keys.sorted().first(where: { !used.contains($0) }) {
      throw WeightIOError(file: path, key: extra, "is not part of \(config.name)'s int8 model")
    }
    return network
  }
}

extension Int8File {
  /// Whether the file at `path` is a .safetensors whose metadata marks it int8, reading only
  /// its header (a checkpoint need not be read twice to find out). Unreadable or damaged files
  /// answer false: the ordinary loader then reports what is wrong with them.
  public static func isInt8(path: String) -> Bool {
    guard path.lowercased().hasSuffix(".safetensors"), let handle = FileHandle(forReadingAtPath: path) else {
      return false
    }
    defer { try? handle.close() }
    guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return false }
    let length = prefix.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard length <= 1 << 26, let header = try? handle.read(upToCount: Int(length)), header.count == Int(length),
      let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
      let metadata = json["__metadata__"] as? [String: Any]
    else { return false }
    return metadata[formatKey] as? String == format
  }
}
