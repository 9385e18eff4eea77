import Foundation
import Reports
import SegData
import SegMetrics

/// The layout of runs/NAME/: what a run writes and where.
public struct RunFolder {
  public let directory: URL

  public init(_ path: String) { directory = URL(fileURLWithPath: path) }

  public var config: URL { directory.appendingPathComponent("config.json") }
  public var log: URL { directory.appendingPathComponent("log.jsonl") }
  public var checkpoints: URL { directory.appendingPathComponent("checkpoints") }
  public var last: URL { checkpoints.appendingPathComponent("last.safetensors") }
  public var best: URL { checkpoints.appendingPathComponent("best.safetensors") }
  public var metrics: URL { directory.appendingPathComponent("metrics.json") }
  public var plots: URL { directory.appendingPathComponent("plots") }
  public var samples: URL { directory.appendingPathComponent("samples") }
  /// The latest evaluation's confusion matrix and class names (Reports.EvaluationSnapshot).
  public var confusion: URL { directory.appendingPathComponent(EvaluationSnapshot.fileName) }
  public var report: URL { directory.appendingPathComponent(RunReport.fileName) }
  /// TensorBoard event files (`tensorboard --logdir runs` shows every run).
  public var tensorboard: URL { directory.appendingPathComponent("tb") }

  /// Creates the folder; refuses to reuse one that already holds a run, so nothing written
  /// before is lost by accident.
  public func create(allowExisting: Bool) throws {
    let fm = FileManager.default
    if !allowExisting && fm.fileExists(atPath: last.path) {
      throw TrainingError.config(
        "\(directory.path) already holds a run (\(last.path)); pass --resume to continue it, or choose another --run")
    }
    for d in [directory, checkpoints] { try fm.createDirectory(at: d, withIntermediateDirectories: true) }
  }

  func writeConfig(options: TrainOptions, modelConfig: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let optionsJSON = try JSONSerialization.jsonObject(with: encoder.encode(options))
    let modelJSON = (try? JSONSerialization.jsonObject(with: Data(modelConfig.utf8))) ?? modelConfig
    let data = try JSONSerialization.data(
      withJSONObject: ["train": optionsJSON, "model": modelJSON], options: [.prettyPrinted, .sortedKeys])
    try data.write(to: config, options: .atomic)
  }

  func writeMetrics(_ m: Metrics) throws {
    try m.jsonData().write(to: metrics, options: .atomic)
  }

  /// samples/NAME.png: image | ground truth | prediction with a legend of the classes and the
  /// image's own mIoU (Reports.SamplePanel). Returns the file written.
  @discardableResult
  func writeSample(_ sample: Sample, predicted: [Int32], name: String, classNames: [String]) throws -> URL {
    try FileManager.default.createDirectory(at: samples, withIntermediateDirectories: true)
    let prediction = LabelMap(
      width: sample.image.width, height: sample.image.height, labels: predicted.map { UInt8(clamping: $0) })
    let panel = SamplePanel(
      image: sample.image, truth: sample.mask, prediction: prediction, classNames: classNames, name: name)
    let file = name.replacingOccurrences(of: "/", with: "_") + ".png"
    let url = samples.appendingPathComponent(file)
    try Data(encodePNG(panel.render())).write(to: url, options: .atomic)
    return url
  }

  /// confusion.json, plots/*.svg and report.html from what the folder holds now. A report that
  /// cannot be written is a warning: it must never cost the training run.
  func writeReport(step: Int, matrix: ConfusionMatrix?, classNames: [String]) {
    do {
      if let matrix {
        try EvaluationSnapshot(step: step, classNames: classNames, matrix: matrix).write(to: confusion)
      }
      try RunReport.write(run: directory)
    } catch {
      FileHandle.standardError.write(Data("warning: the run report was not written: \(error)\n".utf8))
    }
  }
}
