import Foundation
import WeightIO

/// Weight files in and out: `.pth` (torch.save, read without Python) and `.safetensors`.
public enum ModelWeights {
  /// The metadata key under which `save` stores the ModelConfig JSON.
  public static let configKey = "fcn.config"

  /// Reads every tensor of a `.safetensors` file or a PyTorch checkpoint (the state_dict inside
  /// `{'model_state_dict': …}` wrappers included).
  public static func read(_ url: URL) throws -> [String: HostArray] {
    url.pathExtension.lowercased() == "safetensors"
      ? try SafeTensors.read(contentsOf: url).tensors : try TorchCheckpoint.load(contentsOf: url)
  }

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
    try load(read(url), into: model, strict: strict)
  }

  /// Writes the state_dict (PyTorch names, BatchNorm counters included) as `.safetensors`, with
  /// the model's configuration as JSON in the metadata, so `loadModel` can rebuild it.
  public static func save(_ model: FCNModel, to url: URL) throws {
    let json = String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self)
    try SafeTensors.write(model.exportStateDict(), metadata: [configKey: json], to: url)
  }

  /// Rebuilds and loads a model written by `save`.
  public static func loadModel(_ url: URL) throws -> FCNModel {
    let contents = try SafeTensors.read(contentsOf: url)
    guard let json = contents.metadata[configKey] else {
      throw FCNError.invalidConfig(
        "\(url.path) has no '\(configKey)' metadata: not written by swift-fcn; build the model with --model and load the weights into it"
      )
    }
    let config = try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    let model = try FCNModel(config, randomInit: false)
    try model.loadStateDict(contents.tensors, strict: true)
    return model
  }
}
