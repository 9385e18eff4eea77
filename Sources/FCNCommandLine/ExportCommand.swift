import ArgumentParser
import FCN
import Foundation
import ONNXExport
import SegData
import SegMetrics
import Training

/// `fcn export`: a trained model as an ONNX file for ONNX Runtime and other ONNX tools.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a model as ONNX (eval mode; input normalised float32 N×3×H×W, output logits N×C×H×W).",
    discussion: """
      The file's metadata records the normalisation the input must already have (metadata \
      'normalization', 'normalization_formula') and the class names. Height and width are \
      dynamic unless --size fixes them.
      """)

  @Option(name: .customLong("run"), help: "A training run folder (uses its best checkpoint and normalisation).")
  var runFolder: String?
  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Weights: .safetensors (swift-fcn) or .pth (PyTorch).") var weights: String?
  @Option(help: "The ONNX file to write.") var onnx: String
  @Option(help: "ONNX opset (\(ONNXExporter.opsets.lowerBound)–\(ONNXExporter.opsets.upperBound)).") var opset = 17
  @Option(help: "Fix the input size, HxW (default: dynamic height and width).") var size: String?
  @Flag(help: "Dynamic height and width (the default).") var dynamic = false
  @Option(help: "Normalisation to record (default: the run's, else imagenet).") var normalize: Normalization?

  func validate() throws {
    guard runFolder != nil || weights != nil else { throw ValidationError("give --run DIR or --weights FILE") }
    guard !(dynamic && size != nil) else { throw ValidationError("--size and --dynamic exclude each other") }
    guard ONNXExporter.opsets.contains(opset) else {
      throw ValidationError(
        "--opset must be \(ONNXExporter.opsets.lowerBound)–\(ONNXExporter.opsets.upperBound), got \(opset)")
    }
    if let size { _ = try parseSize(size, option: "--size") }
  }

  func run() throws {
    let loaded = try loadModel(run: runFolder, weights: weights, options: modelOptions)
    let normalization = normalize ?? loaded.trainOptions?.normalize ?? .imagenet
    let exportSize: ONNXExporter.Size =
      try size.map {
        let s = try parseSize($0, option: "--size")
        return .fixed(height: s.height, width: s.width)
      } ?? .dynamic
    let metadata = try ONNXExporter.metadata(
      for: loaded.model, normalization: normalization.rawValue, formula: normalization.formula,
      classNames: classNames(run: runFolder ?? runOfCheckpoint(weights), classes: loaded.model.classes))
    let exporter = ONNXExporter(model: loaded.model, opset: opset, size: exportSize, metadata: metadata)
    try exporter.write(to: URL(fileURLWithPath: onnx))
    let sizeText = size.map { "input size \($0)" } ?? "dynamic height and width"
    print("wrote \(onnx) (\(loaded.model.config.name), \(loaded.model.classes) classes, opset \(opset), \(sizeText))")
  }

  /// runs/NAME for runs/NAME/checkpoints/FILE (as loadModel reads that run's options).
  func runOfCheckpoint(_ weights: String?) -> String? {
    guard let weights else { return nil }
    let checkpoints = URL(fileURLWithPath: weights).deletingLastPathComponent()
    return checkpoints.lastPathComponent == "checkpoints" ? checkpoints.deletingLastPathComponent().path : nil
  }

  /// The run's class names (metrics.json keeps them), else class0 … classK−1.
  func classNames(run: String?, classes: Int) -> [String] {
    if let run, let data = FileManager.default.contents(atPath: RunFolder(run).metrics.path),
      let names = (try? Metrics.decode(json: data))?.classNames, names.count == classes
    {
      return names
    }
    return (0..<classes).map { "class\($0)" }
  }
}
