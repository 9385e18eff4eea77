import ArgumentParser
import FCN
import Foundation
import SegData
import Training
import WeightIO

/// The options that choose a network, shared by train, eval, predict, info and bench.
struct ModelOptions: ParsableArguments {
  /// As given: optional because `fcn bench` without it times an op instead of a model; every
  /// other command uses `name`.
  @Option(
    help:
      "Model (seed-fcn8|16|32 still mean course-fcn*). Default: \(ModelOptions.defaultModel); for bench, none: it times --op."
  ) var model: ModelName?
  @Option(help: "Number of classes (default: the data set's, or 21).") var classes: Int?
  @Option(help: "Backbone (default: the model's).") var backbone: Backbone?
  @Option(help: "Head: paper (7×7 fc6, pad 100) or compact (1×1 fc6) (default: the model's).") var head: Head?
  @Option(help: "Backbone channel multiplier (1 = VGG's 64…512).") var width: Double = 1
  @Option(help: "Channels of fc6/fc7.") var fc: Int = 4096
  @Flag(help: "Learn the bilinear upsampling deconvolutions instead of keeping them fixed.") var learnableUpsampling =
    false

  static let defaultModel = ModelName.fcn8s

  /// The model chosen: --model, else fcn8s.
  var name: ModelName { model ?? Self.defaultModel }

  func config(classes fallback: Int, seed: UInt64 = 0) throws -> ModelConfig {
    try ModelConfig(
      model: name, classes: classes ?? fallback, backbone: backbone, head: head, width: width, fc: fc,
      frozenUpsampling: learnableUpsampling ? false : nil, seed: seed)
  }
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
      // A config that is there but unusable (damaged, or absurd sizes) is the file's problem:
      // guessing a default model instead would only fail later, less clearly.
      func decode<T: Decodable>(_ type: T.Type, _ json: String, _ what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(json.utf8)) } catch {
          throw DataError(file: path, problem: "its \(what) metadata is unusable: \(describeDecoding(error))")
        }
      }
      let stateConfig = try metadata[Checkpoint.stateKey].map {
        try decode(TrainState.self, $0, Checkpoint.stateKey).modelConfig
      }
      config = try (stateConfig ?? metadata[ModelWeights.configKey]).map {
        try decode(ModelConfig.self, $0, "model configuration")
      }
    } else {
      tensors = try TorchCheckpoint.load(contentsOf: url)
    }
  }
}

/// Runs `body`, turning an error that does not say which file it is about (a state_dict key
/// the model lacks, a shape that differs) into one naming `path`.
func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error where !(error is DataError || error is WeightIOError) {
    throw DataError(file: path, problem: "\(error)")
  }
}

/// A decoding error in words: the configuration's own message, or where the JSON went wrong.
func describeDecoding(_ error: Error) -> String {
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

/// Parses "HxW" (e.g. 512x512).
func parseSize(_ text: String, option: String) throws -> ImageSize {
  guard let s = ImageSize(parsing: text), s.height >= 1, s.width >= 1 else {
    throw ValidationError("\(option) must be HxW with positive sides (e.g. 512x512), got '\(text)'")
  }
  return s
}

/// Parses "MIN,MAX" (e.g. 0.75,1.25); the values' own limits are the options' validate()'s.
func parseRange(_ text: String, option: String) throws -> ClosedRange<Double> {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
    Double($0.trimmingCharacters(in: .whitespaces))
  }
  guard parts.count == 2, let low = parts[0], let high = parts[1], low <= high else {
    throw ValidationError("\(option) must be MIN,MAX with MIN ≤ MAX (e.g. 0.75,1.25), got '\(text)'")
  }
  return low...high
}

/// "MIN,MAX", as parseRange reads it.
func formatRange(_ range: ClosedRange<Double>) -> String { "\(range.lowerBound),\(range.upperBound)" }
