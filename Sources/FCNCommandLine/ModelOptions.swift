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

/// Runs `body`, turning an error that does not say which file it is about (a state_dict key
/// the model lacks, a shape that differs) into one naming `path`.
func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error where !(error is DataError || error is WeightIOError) {
    throw DataError(file: path, problem: "\(error)")
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
