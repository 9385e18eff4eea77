import ArgumentParser
import FCN
import Foundation
import Inference
import SegData
import SegMetrics
import Tensor
import Training

/// The models `--run`/`--weights` name: one (as before), or several to average as an ensemble.
/// One --run with one --weights still means "these weights with that run's settings".
struct LoadedEnsemble {
  var models: [LoadedModel]
  var names: [String]
  /// Memory available before the models were loaded (the planners compare with it).
  var limits: MemoryLimits
  /// This process's resident memory before the models were loaded.
  var processBytes: Int

  /// The first model: its run's options (data set, seed) stand for the ensemble's.
  var primary: LoadedModel { models[0] }

  init(runs: [String], weights: [String], options: ModelOptions, precision: Precision = .fp32) throws {
    limits = MemoryLimits.current()
    processBytes = currentResidentBytes()
    if runs.count <= 1 && weights.count <= 1 {
      models = [try loadModel(run: runs.first, weights: weights.first, options: options)]
      names = [weights.first ?? runs.first!]
    } else if !runs.isEmpty && !weights.isEmpty {
      throw ValidationError(
        "give several --run or several --weights for an ensemble, not both (one --run with one --weights means: these weights with that run's settings)"
      )
    } else if !runs.isEmpty {
      models = try runs.map { try loadModel(run: $0, weights: nil, options: options) }
      names = runs
    } else {
      models = try weights.map { try loadModel(run: nil, weights: $0, options: options) }
      names = weights
    }
    if precision == .bf16 {
      try BF16Support.require { printError("fcn: " + $0) }
      for (loaded, name) in zip(models, names) {
        do { try loaded.predictor.useBF16() } catch { throw DataError(file: name, problem: "\(error)") }
      }
    }
  }

  /// Each model with its normalisation: --normalize for all, else its run's, else imagenet.
  func members(normalize: Normalization?) -> [EnsembleMember] {
    zip(models, names).map { loaded, name in
      EnsembleMember(
        model: loaded.model, normalization: normalize ?? loaded.trainOptions?.normalize ?? .imagenet, name: name,
        logits: { try loaded.predictor($0) })
    }
  }

  /// A confusion matrix of `dataset`: the plain evaluation loop when nothing asks for more (so
  /// its numbers stay exactly what they were), else the predictor with TTA, ensemble, windows.
  func evaluate(
    dataset: SegmentationDataset, normalize: Normalization?, inference: InferenceOptions, workers: Int
  ) throws -> ConfusionMatrix {
    let members = members(normalize: normalize)
    if models.count == 1 && inference.isDefault {
      return try Training.evaluate(
        primary.predictor, dataset: dataset, normalization: members[0].normalization, workers: workers,
        progress: ProgressBar(total: dataset.count, label: "eval"),
        note: { printError("fcn eval: \($0)") })
    }
    let predictor = try EnsemblePredictor(members: members, augmentation: inference.augmentation())
    let progress = ProgressBar(total: dataset.count, label: "eval")
    let matrix = try Inference.evaluate(
      predictor, dataset: dataset, planner: inference.planner(predictor, limits: limits, processBytes: processBytes),
      tiling: inference.tiling(), automaticTiling: !inference.noTile, overlap: inference.overlap,
      weighting: inference.tileWeights, note: { printError("fcn eval: \($0)") },
      progress: { progress.update($0, fields: [:]) })
    progress.finish()
    return matrix
  }
}
