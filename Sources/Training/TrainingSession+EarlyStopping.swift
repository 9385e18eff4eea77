import Foundation

/// `--patience`: each evaluation during training counts towards early stopping (the state lives
/// in TrainState, so checkpoints carry it), and the loop ends once it is exhausted.
extension TrainingSession {
  /// True once `--patience` evaluations in a row have not improved the val mIoU.
  var patienceExhausted: Bool {
    guard let patience = options.patience else { return false }
    return (state.earlyStopping?.stalled ?? 0) >= patience
  }

  /// Records an evaluation's mIoU in the early-stopping state (only with --patience).
  func countForPatience(_ meanIoU: Double) {
    guard options.patience != nil else { return }
    var early = state.earlyStopping ?? EarlyStoppingState()
    _ = early.record(meanIoU: meanIoU, minDelta: options.minDelta)
    state.earlyStopping = early
  }

  func reportEarlyStop() {
    let early = state.earlyStopping ?? EarlyStoppingState()
    trainer.say(
      "early stopping at step \(state.step): val mIoU has not improved by more than \(options.minDelta) for \(early.stalled) evaluations"
        + (early.reference.map { String(format: " (best %.4f)", $0) } ?? ""))
  }
}
