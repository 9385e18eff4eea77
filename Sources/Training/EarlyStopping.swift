/// Early stopping on the validation mIoU (`--patience N --min-delta D`), as PyTorch Lightning's
/// EarlyStopping in "max" mode: an evaluation improves when its mIoU exceeds the reference by
/// more than D (the reference then becomes it); otherwise the count of stalled evaluations grows,
/// and training stops when it reaches N. Saved in every checkpoint's TrainState, so a resumed run
/// stops where an uninterrupted one would.
public struct EarlyStoppingState: Codable, Equatable {
  /// The mIoU an evaluation must beat by more than min-delta; nil before the first evaluation.
  public var reference: Double?
  /// Evaluations since the last improvement.
  public var stalled: Int

  public init(reference: Double? = nil, stalled: Int = 0) {
    self.reference = reference
    self.stalled = stalled
  }

  /// Counts one evaluation; true when it improved. NaN (nothing to score) never improves.
  public mutating func record(meanIoU: Double, minDelta: Double) -> Bool {
    if let reference, !(meanIoU - minDelta > reference) {
      stalled += 1
      return false
    }
    if reference == nil && meanIoU.isNaN {
      stalled += 1
      return false
    }
    reference = meanIoU
    stalled = 0
    return true
  }
}

extension TrainOptions {
  /// Checks of `--loss`, `--patience`, `--min-delta` and `--keep-last` (called by `validate`).
  func validateTrainingExtras() throws {
    if let patience {
      guard patience >= 1 else { throw TrainingError.config("--patience must be at least 1, got \(patience)") }
      guard evalEvery > 0 else {
        throw TrainingError.config(
          "--patience counts evaluations during training: give --eval-every N too (now only the end is evaluated)")
      }
    }
    guard minDelta >= 0, minDelta.isFinite else {
      throw TrainingError.config("--min-delta must be a finite number ≥ 0, got \(minDelta)")
    }
    guard (0...1_000_000).contains(keepLast) else {
      throw TrainingError.config("--keep-last must be 0 to 1000000, got \(keepLast)")
    }
    if keepLast > 0 && checkpointEvery <= 0 {
      throw TrainingError.config("--keep-last keeps step checkpoints, which --checkpoint-every 0 never writes")
    }
    guard !loss.terms.isEmpty else { throw TrainingError.config("--loss has no terms") }
  }
}
