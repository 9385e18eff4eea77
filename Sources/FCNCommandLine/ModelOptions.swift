import ArgumentParser
import FCN
import Foundation
import SegData
import Training
import WeightIO

/// The options that choose a network, shared by train, eval, predict, info and bench.
struct ModelOptions: ParsableArguments {
  @Option(
    help:
      "Model: \(ModelName.allCases.map(\.rawValue).joined(separator: ", ")) (seed-fcn8|16|32 still mean course-fcn*)."
  ) var model: ModelName = .fcn8s
  @Option(help: "Number of classes (default: the data set's, or 21).") var classes: Int?
  @Option(help: "Backbone: vgg11|vgg13|vgg16|vgg19, each optionally -bn.") var backbone: String?
  @Option(help: "Head: paper (7×7 fc6, pad 100) or compact (1×1 fc6).") var head: String?
  @Option(help: "Backbone channel multiplier (1 = VGG's 64…512).") var width: Double = 1
  @Option(help: "Channels of fc6/fc7.") var fc: Int = 4096
  @Flag(help: "Learn the bilinear upsampling deconvolutions instead of keeping them fixed.") var learnableUpsampling =
    false

  func config(classes fallback: Int, seed: UInt64 = 0) throws -> ModelConfig {
    var h: Head?
    if let head {
      guard let parsed = Head(rawValue: head) else {
        throw ValidationError("--head must be paper or compact, got '\(head)'")
      }
      h = parsed
    }
    return try ModelConfig(
      model: model, classes: classes ?? fallback, backbone: backbone.map(Backbone.parse), head: h, width: width, fc: fc,
      frozenUpsampling: learnableUpsampling ? false : nil, seed: seed)
  }
}

extension ModelName: ExpressibleByArgument {
  public init?(argument: String) { try? self.init(parsing: argument) }
}

/// Weights from any file a user brings: a swift-fcn checkpoint or export (.safetensors), or a
/// PyTorch .pth (state_dict, {'model_state_dict': …}, or a torchvision VGG).
struct WeightSource {
  var tensors: [String: HostArray]
  /// The model configuration stored with the weights, when swift-fcn wrote them.
  var config: ModelConfig?

  init(_ path: String) throws {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: path) else { throw DataError(file: path, problem: "no such file") }
    if url.pathExtension.lowercased() == "safetensors" {
      let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
      self.tensors = tensors.filter { !$0.key.hasPrefix(Checkpoint.optimizerPrefix) }
      // A training checkpoint keeps the config inside its train state; an export, on its own.
      let stateConfig = metadata[Checkpoint.stateKey].flatMap {
        try? JSONDecoder().decode(TrainState.self, from: Data($0.utf8)).modelConfig
      }
      config = (stateConfig ?? metadata[ModelWeights.configKey]).flatMap {
        try? JSONDecoder().decode(ModelConfig.self, from: Data($0.utf8))
      }
    } else {
      tensors = try TorchCheckpoint.load(contentsOf: url)
    }
  }
}

/// Parses "HxW" (e.g. 512x512).
func parseSize(_ text: String, option: String) throws -> ImageSize {
  guard let s = ImageSize(parsing: text), s.height >= 1, s.width >= 1 else {
    throw ValidationError("\(option) must be HxW with positive sides (e.g. 512x512), got '\(text)'")
  }
  return s
}
