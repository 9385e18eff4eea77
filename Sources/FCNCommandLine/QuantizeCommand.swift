import ArgumentParser
import FCN
import Foundation
import CompiledInference
import SegData
import Training

extension CalibrationMethod: ExpressibleByArgument {}

/// `fcn quantize`: post-training int8 quantisation of a trained model. Weights become s8 with one
/// scale per output channel; activations get one scale each from a calibration pass over
/// training images; the result is one .safetensors file that `fcn eval|predict --weights`
/// recognise as int8 and run with oneDNN's int8 convolutions.
struct QuantizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quantize", abstract: "Quantise a trained model to int8 (calibrated on training images).")

  @Option(name: .customLong("run"), help: "A training run folder (its best checkpoint, data set and normalisation).")
  var runFolder: String?
  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Weights: .safetensors (swift-fcn) or .pth (PyTorch).") var weights: String?
  @Option(name: .customLong("calib"), help: "Training images to calibrate the activation scales on.")
  var calibrationImages =
    32
  @Option(help: "Data set KIND:PATH for calibration (default: the run's, else synthetic).") var data: String?
  @Option(help: "Images folder for coco:ANN.json (default: the run's, else next to the JSON).") var images: String?
  @Option(help: "Input normalisation (default: the run's, else imagenet).") var normalize: Normalization?
  @Option(
    help:
      "How an activation's clipping threshold is chosen: minmax (largest value), percentile (99.99th), entropy (least KL divergence)."
  ) var method = QuantizationOptions.recommended.method
  @Option(
    help:
      "Layers kept fp32: a comma-separated list of first (the first convolution, whose input is the signed image) and score (the convolutions without ReLU that produce class scores), or none."
  ) var keepFp32 = "none"
  @Option(help: "The int8 model file to write (.safetensors).") var out: String

  func validate() throws {
    guard runFolder != nil || weights != nil else { throw ValidationError("give --run DIR or --weights FILE") }
    guard calibrationImages >= 1, calibrationImages <= 100_000 else {
      throw ValidationError("--calib must be 1...100000 images, got \(calibrationImages)")
    }
    guard out.lowercased().hasSuffix(".safetensors") else {
      throw ValidationError("--out must name a .safetensors file, got '\(out)'")
    }
    _ = try keptFP32Layers(keepFp32)
  }

  func run() throws {
    let loaded = try loadModel(run: runFolder, weights: weights, options: modelOptions)
    let network = loaded.predictor
    guard !network.isInt8 else {
      throw TrainingError.config("\(weights ?? runFolder ?? "the model") is already an int8 model")
    }
    let spec = data ?? loaded.trainOptions?.data ?? "synthetic"
    let normalization = normalize ?? loaded.trainOptions?.normalize ?? .imagenet
    let dataset = try openDataset(
      spec: spec, split: .train, seed: loaded.trainOptions?.seed ?? 0,
      imagesDirectory: images ?? (data == nil ? loaded.trainOptions?.images : nil),
      syntheticSize: loaded.trainOptions?.syntheticSize ?? ImageSize(height: 64, width: 64))
    try checkLabelsFit(dataset, modelClasses: network.classes)
    let loader = DataLoader(
      dataset: dataset,
      config: LoaderConfig(
        batchSize: 1, shuffle: false, workers: 1, augmentation: .evaluation(), normalization: normalization))
    let stream = loader.batches(epoch: 0)
    var calibration = Calibration()
    let progress = ProgressBar(total: min(calibrationImages, dataset.count), label: "calibrate")
    while calibration.images < calibrationImages, let batch = try stream.next() {
      try calibration.observe(network, image: imageTensor(batch))
      progress.update(calibration.images, fields: [:])
    }
    progress.finish()
    let kept = try keptFP32Layers(keepFp32)
    let options = QuantizationOptions(keepFirst: kept.first, keepScore: kept.score, method: method)
    let int8 = try network.quantize(calibration, options: options)
    try Int8File.save(
      network, calibration: .init(options: options, images: calibration.images), to: URL(fileURLWithPath: out))
    let fp32 = network.convolutions.map(\.name).filter { !int8.contains($0) }
    print(
      "quantised \(int8.count) of \(network.convolutions.count) convolutions to int8 (\(method.rawValue) scales from \(calibration.images) image\(calibration.images == 1 ? "" : "s")); fp32: \(fp32.isEmpty ? "none" : fp32.joined(separator: ", ")) → \(out)"
    )
  }
}

/// (first, score) from --keep-fp32: first, score, first,score or none.
func keptFP32Layers(_ text: String) throws -> (first: Bool, score: Bool) {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
  if parts == ["none"] { return (false, false) }
  guard !parts.isEmpty, parts.allSatisfy({ $0 == "first" || $0 == "score" }) else {
    throw ValidationError("--keep-fp32 takes first, score, first,score or none, got '\(text)'")
  }
  return (parts.contains("first"), parts.contains("score"))
}
