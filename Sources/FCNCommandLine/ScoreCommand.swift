import ArgumentParser
import Foundation
import SegData
import SegMetrics

/// `fcn score`: scores any model's saved masks against ground truth, matched by file stem.
struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score", abstract: "Score predicted masks against ground-truth masks (PNG, by file stem).")

  @Option(help: "Folder of predicted label PNGs.") var pred: String
  @Option(help: "Folder of ground-truth label PNGs.") var gt: String
  @Option(help: "Number of classes.") var classes: Int
  @Option(help: "Label ignored in the ground truth.") var ignore: Int = 255
  @Option(help: "Also write the metrics as JSON to this file.") var json: String?

  func validate() throws {
    guard classes >= 1 else { throw ValidationError("--classes must be at least 1") }
  }

  func run() throws {
    let metrics = try score(predictions: pred, groundTruth: gt, classes: classes, ignore: ignore)
    print(MetricsTable.format(metrics))
    if let json { try metrics.jsonData().write(to: URL(fileURLWithPath: json), options: .atomic) }
  }
}

/// Accumulates every ground-truth mask in `groundTruth` against the same-stem PNG in `predictions`.
func score(predictions: String, groundTruth: String, classes: Int, ignore: Int) throws -> Metrics {
  let fm = FileManager.default
  guard let names = try? fm.contentsOfDirectory(atPath: groundTruth) else {
    throw DataError(file: groundTruth, problem: "not a readable directory")
  }
  let masks = names.filter { $0.lowercased().hasSuffix(".png") }.sorted()
  guard !masks.isEmpty else { throw DataError(file: groundTruth, problem: "no .png masks in it") }
  var matrix = try ConfusionMatrix(classes: classes, ignoreIndex: ignore)
  for name in masks {
    let gtPath = (groundTruth as NSString).appendingPathComponent(name)
    let predPath = (predictions as NSString).appendingPathComponent(name)
    guard fm.fileExists(atPath: predPath) else {
      throw DataError(file: predPath, problem: "missing prediction for \(gtPath)")
    }
    let target = try readLabelMap(gtPath)
    let predicted = try readLabelMap(predPath)
    guard target.width == predicted.width, target.height == predicted.height else {
      throw DataError(
        file: predPath,
        problem:
          "prediction is \(predicted.width)x\(predicted.height) but \(gtPath) is \(target.width)x\(target.height)")
    }
    do {
      try matrix.accumulate(predictions: predicted.labels.map(Int32.init), targets: target.labels.map(Int32.init))
    } catch {
      throw DataError(file: gtPath, problem: "\(error)")
    }
  }
  return try matrix.metrics()
}
