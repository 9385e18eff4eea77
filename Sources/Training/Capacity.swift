import FCN
import Foundation

/// The largest batch a training step fits in, per memory mode: what a user feels of the
/// memory work. Estimated as the planner estimates (model estimate, optimizer slots, the
/// loader's prefetched batches); the estimate grows linearly with the batch (activations
/// scale with it, weights and optimizer state do not), so two model estimates give the line.
public struct TrainingCapacity: Sendable {
  public enum Mode: String, CaseIterable, Sendable {
    /// SGD with --accumulate 1 and no --clip-norm: each weight is updated during backward.
    case updateDuringBackward = "sgd, updated during backward (default)"
    /// SGD momentum keeping every gradient (--accumulate > 1 or --clip-norm).
    case sgdKeepingGradients = "sgd, gradients kept (--accumulate/--clip-norm)"
    /// Adam/AdamW: two slots per weight, gradients kept.
    case adam = "adam/adamw"
    /// The default SGD path with each VGG block recomputed in backward (--recompute on).
    case recomputing = "sgd, updated during backward, --recompute on"
  }

  public var mode: Mode
  public var largestBatch: Int
  /// The estimate at that batch (0 when not even batch 1 fits).
  public var bytes: Int64

  /// For each mode, the largest batch whose estimate fits in `available` bytes.
  public static func estimate(config: ModelConfig, height: Int, width: Int, available: Int64, workers: Int = 1) throws
    -> [TrainingCapacity]
  {
    let lines = try costLines(config: config, height: height, width: width, workers: workers)
    return Mode.allCases.map { mode in
      let (fixed, perImage) = lines[mode]!
      let batch = max(0, Int((Double(available) - fixed) / perImage))
      return TrainingCapacity(
        mode: mode, largestBatch: batch, bytes: batch > 0 ? Int64(fixed + perImage * Double(batch)) : 0)
    }
  }

  /// The estimate of one step at `batch` in `mode` (what `fcn info --recompute` prints).
  public static func stepBytes(
    config: ModelConfig, height: Int, width: Int, batch: Int, mode: Mode, workers: Int = 1
  ) throws -> Int64 {
    let (fixed, perImage) = try costLines(config: config, height: height, width: width, workers: workers)[mode]!
    return Int64(fixed + perImage * Double(batch))
  }

  /// Each mode's estimate as a line in the batch: fixed bytes, and bytes per image.
  static func costLines(config: ModelConfig, height: Int, width: Int, workers: Int) throws -> [Mode: (
    fixed: Double, perImage: Double
  )] {
    let one = try modelInfo(config: config, height: height, width: width, batch: 1)
    let two = try modelInfo(config: config, height: height, width: width, batch: 2)
    let loaderPerImage = Double(2 * max(1, workers) + 1) * Double(height * width) * (3 * 4 + 4 + 3)
    let weights = Double(one.weightBytes)
    var lines: [Mode: (fixed: Double, perImage: Double)] = [:]
    for mode in Mode.allCases {
      let (model1, model2, slots): (Int, Int, Double) =
        switch mode {
        case .updateDuringBackward:
          (one.trainingBytesUpdatingDuringBackward, two.trainingBytesUpdatingDuringBackward, 1)
        case .sgdKeepingGradients: (one.trainingBytes, two.trainingBytes, 1)
        case .adam: (one.trainingBytes, two.trainingBytes, 2)
        case .recomputing:
          (one.trainingBytesRecomputingDuringBackward, two.trainingBytesRecomputingDuringBackward, 1)
        }
      // The model's estimates count one slot (SGD's momentum) already.
      lines[mode] = (
        Double(model1) - Double(model2 - model1) + (slots - 1) * weights, Double(model2 - model1) + loaderPerImage
      )
    }
    return lines
  }
}
