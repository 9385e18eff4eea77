import Foundation
import WeightIO

/// Any weight file, opened the one way every command and the trainer open them: a swift-fcn
/// `.safetensors` (export or training checkpoint, with its metadata) or a PyTorch `.pth`
/// (torch.save's zip or legacy format, read without Python; the state_dict inside
/// `{'model_state_dict': …}` wrappers included).
public struct WeightFile {
  public var path: String
  public var tensors: [String: HostArray]
  /// The safetensors header's metadata (empty for .pth).
  public var metadata: [String: String]

  public static func open(_ url: URL) throws -> WeightFile {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw WeightIOError(file: url.path, "no such file")
    }
    if url.pathExtension.lowercased() == "safetensors" {
      let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
      return WeightFile(path: url.path, tensors: tensors, metadata: metadata)
    }
    return WeightFile(path: url.path, tensors: try TorchCheckpoint.load(contentsOf: url), metadata: [:])
  }

  /// Decodes a JSON metadata entry; one that is there but unusable (damaged, or absurd sizes) is
  /// the file's problem: guessing a default instead would only fail later, less clearly.
  public func decodeMetadata<T: Decodable>(_ type: T.Type, key: String, what: String) throws -> T? {
    guard let json = metadata[key] else { return nil }
    do { return try JSONDecoder().decode(type, from: Data(json.utf8)) } catch {
      throw WeightIOError(file: path, "its \(what) metadata is unusable: \(describeDecoding(error))")
    }
  }

  /// The model configuration an export stores (training checkpoints keep theirs in their state).
  public func exportedConfig() throws -> ModelConfig? {
    try decodeMetadata(ModelConfig.self, key: ModelWeights.configKey, what: "model configuration")
  }
}

/// A decoding error in words: the configuration's own message, or where the JSON went wrong.
public func describeDecoding(_ error: Error) -> String {
  switch error {
  case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
    DecodingError.valueNotFound(_, let context):
    let path = context.codingPath.map(\.stringValue).joined(separator: ".")
    return (path.isEmpty ? "" : "\(path): ") + context.debugDescription
  case DecodingError.keyNotFound(let key, _):
    return "missing '\(key.stringValue)'"
  default:
    return "\(error)"
  }
}

/// Weights into and out of a model: state_dict names, torchvision's VGG, exports.
public enum ModelWeights {
  /// The metadata key under which `save` stores the ModelConfig JSON.
  public static let configKey = "fcn.config"

  /// Loads weights of any supported kind into `model`: a torchvision VGG checkpoint
  /// (`features.N.*`) initialises the backbone (see `importTorchvisionVGG`); anything else is a
  /// state_dict of this model, loaded by name, after dropping the `module.` prefix that
  /// nn.DataParallel adds.
  @discardableResult
  public static func load(_ dict: [String: HostArray], into model: FCNModel, strict: Bool = true) throws -> LoadReport {
    if dict["features.0.weight"] != nil && dict["classifier.0.weight"] != nil {
      return try importTorchvisionVGG(dict, into: model)
    }
    var d = dict
    if !d.isEmpty && d.keys.allSatisfy({ $0.hasPrefix("module.") }) {
      d = Dictionary(uniqueKeysWithValues: d.map { (String($0.key.dropFirst("module.".count)), $0.value) })
    }
    return try model.loadStateDict(d, strict: strict)
  }

  @discardableResult
  public static func load(_ url: URL, into model: FCNModel, strict: Bool = true) throws -> LoadReport {
    try load(WeightFile.open(url).tensors, into: model, strict: strict)
  }

  /// Writes the state_dict (PyTorch names, BatchNorm counters included) as `.safetensors`, with
  /// the model's configuration as JSON in the metadata, so `loadModel` can rebuild it.
  public static func save(_ model: FCNModel, to url: URL) throws {
    let json = String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self)
    try SafeTensors.write(model.exportStateDict(), metadata: [configKey: json], to: url)
  }

  /// Rebuilds and loads a model written by `save`.
  public static func loadModel(_ url: URL) throws -> FCNModel {
    let file = try WeightFile.open(url)
    guard let config = try file.exportedConfig() else {
      throw FCNError.invalidConfig(
        "\(url.path) has no '\(configKey)' metadata: not written by swift-fcn; build the model with --model and load the weights into it"
      )
    }
    let model = try FCNModel(config, randomInit: false)
    try model.loadStateDict(file.tensors, strict: true)
    return model
  }
}
