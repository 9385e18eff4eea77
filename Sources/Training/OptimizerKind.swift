import NN

/// The optimisers `--optimizer` chooses; the raw values are what config.json stores.
public enum OptimizerKind: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
  case sgd, adam, adamw

  public var description: String { rawValue }

  /// Per-parameter state buffers, each the size of the weights (for the memory estimate):
  /// SGD's momentum, Adam's two moments.
  public var stateSlots: Int {
    switch self {
    case .sgd: return 1
    case .adam, .adamw: return 2
    }
  }

  /// Weight decay is L2 in the gradient for sgd and adam, decoupled for adamw; `momentum` is
  /// SGD's alone.
  func make(_ parameters: [Parameter], learningRate: Float, momentum: Float, weightDecay: Float) -> Optimizer {
    switch self {
    case .sgd: return SGD(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    case .adam: return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupled: false)
    case .adamw: return Adam.adamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
    }
  }
}
