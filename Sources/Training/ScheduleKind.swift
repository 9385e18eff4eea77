import NN

/// The learning-rate schedules `--schedule` chooses; the raw values are what config.json stores.
/// Each fixes the parameters of its `LRSchedule.Kind` the way segmentation code bases do.
public enum ScheduleKind: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
  /// base · (1 - t/T)^0.9.
  case poly
  /// × 0.1 at each third of the run.
  case step
  /// Cosine from base to 0.
  case cosine
  case constant

  public var description: String { rawValue }

  func make(base: Float, totalSteps: Int, warmupSteps: Int) -> LRSchedule {
    let kind: LRSchedule.Kind
    switch self {
    case .poly: kind = .poly(power: 0.9)
    case .step: kind = .step(every: max(1, totalSteps / 3), gamma: 0.1)
    case .cosine: kind = .cosine(minLR: 0)
    case .constant: kind = .constant
    }
    return LRSchedule(kind, base: base, totalSteps: totalSteps, warmupSteps: warmupSteps)
  }
}
