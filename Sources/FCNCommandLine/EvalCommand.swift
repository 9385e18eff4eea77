import ArgumentParser
import CompiledInference
import FCN
import Foundation
import SegData
import SegMetrics
import Training

/// `fcn eval`: full-image evaluation of a trained model on a data set's validation split.
struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval", abstract: "Evaluate a model: pixel acc, mean acc, mIoU, FWIoU and per-class IoU.")

  @Option(
    name: .customLong("run"),
    help: "A training run folder (uses its best checkpoint, else last, and its data set); several: an ensemble.")
  var runFolder: [String] = []
  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Weights: .safetensors (swift-fcn) or .pth (PyTorch); several: an ensemble.") var weights: [String] = []
  @Option(help: "Data set KIND:PATH (default: the run's).") var data: String?
  @Option(help: "Images folder for coco:ANN.json (default: the run's, else next to the JSON).") var images: String?
  @Option(help: "Split to evaluate.") var split = DataSplit.val
  @Option(help: "Input normalisation (default: the run's, else imagenet).") var normalize: Normalization?
  @Option(help: "Data loader worker threads.") var workers = 1
  @Option(
    help:
      "Also write the metrics, the row-normalised confusion matrix and the most confused pairs as JSON to this file.")
  var json: String?
  @OptionGroup var inference: InferenceOptions

  func validate() throws {
    guard !runFolder.isEmpty || !weights.isEmpty else { throw ValidationError("give --run DIR or --weights FILE") }
  }

  func run() throws {
    let ensemble = try LoadedEnsemble(
      runs: runFolder, weights: weights, options: modelOptions, precision: inference.precision)
    let loaded = ensemble.primary
    let spec = data ?? loaded.trainOptions?.data ?? "synthetic"
    let dataset = try openDataset(
      spec: spec, split: split, seed: loaded.trainOptions?.seed ?? 0,
      imagesDirectory: images ?? (data == nil ? loaded.trainOptions?.images : nil),
      syntheticSize: loaded.trainOptions?.syntheticSize ?? ImageSize(height: 64, width: 64))
    try checkLabelsFit(dataset, modelClasses: loaded.model.classes)
    let matrix = try ensemble.evaluate(
      dataset: dataset, normalize: normalize, inference: inference, workers: workers)
    let names = (0..<loaded.model.classes).map { $0 < dataset.classNames.count ? dataset.classNames[$0] : "class\($0)" }
    let metrics = try matrix.metrics(classNames: names)
    print(MetricsTable.format(metrics))
    print(ConfusedPairsTable.format(matrix.mostConfusedPairs(top: 5), classNames: names))
    if let json {
      try EvaluationReport(metrics: metrics, matrix: matrix).jsonData().write(
        to: URL(fileURLWithPath: json), options: .atomic)
    }
  }
}

/// A model ready for inference, from a run folder or from --model/--weights.
struct LoadedModel {
  /// The network as trained (its configuration sizes the memory checks).
  var model: FCNModel
  var trainOptions: TrainOptions?
  /// What predicts: the model compiled for inference (BatchNorm folded; int8 from an int8 file).
  var predictor: InferenceNetwork
}

func loadModel(run: String?, weights: String?, options: ModelOptions) throws -> LoadedModel {
  var trainOptions: TrainOptions?
  var path = weights
  if let run {
    let folder = RunFolder(run)
    let fm = FileManager.default
    path = path ?? [folder.best, folder.last].first { fm.fileExists(atPath: $0.path) }?.path
    guard path != nil else {
      throw DataError(file: folder.checkpoints.path, problem: "no checkpoint in this run folder")
    }
    trainOptions = try readTrainOptions(folder)
  } else if let weights {
    // runs/NAME/checkpoints/best.safetensors: the run's options (normalisation, data) still apply.
    let checkpoints = URL(fileURLWithPath: weights).deletingLastPathComponent()
    if checkpoints.lastPathComponent == "checkpoints" {
      trainOptions = try readTrainOptions(RunFolder(checkpoints.deletingLastPathComponent().path))
    }
  }
  if Int8File.isInt8(path: path!) {
    let network = try Int8File.load(WeightFile.open(URL(fileURLWithPath: path!)))
    if let run { try checkInt8Matches(network.config, run: run, file: path!) }
    return LoadedModel(model: network.model, trainOptions: trainOptions, predictor: network)
  }
  let source = try Checkpoint.load(from: URL(fileURLWithPath: path!))
  let config = try source.modelConfig() ?? options.config(classes: 21)
  let model = try FCNModel(config, randomInit: false)
  try naming(path!) { try ModelWeights.load(source.model, into: model, strict: true) }
  model.setTraining(false)
  return LoadedModel(model: model, trainOptions: trainOptions, predictor: try InferenceNetwork(folding: model))
}

/// The training options a run folder's config.json records, if it has one (one this version
/// cannot read counts as none). Options it can read must be valid: they size data sets.
func readTrainOptions(_ folder: RunFolder) throws -> TrainOptions? {
  /// config.json's part this reads (its "model" part is the model's own configuration).
  struct RunConfig: Decodable { var train: TrainOptions }
  guard let data = FileManager.default.contents(atPath: folder.config.path),
    let options = try? JSONDecoder().decode(RunConfig.self, from: data).train
  else { return nil }
  do { try options.validate() } catch {
    throw DataError(file: folder.config.path, problem: "the run's training options are invalid: \(error)")
  }
  return options
}
