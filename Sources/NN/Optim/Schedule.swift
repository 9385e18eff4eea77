import Foundation

/// Learning-rate schedules as segmentation code bases use them, with optional linear warmup.
public struct LRSchedule: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case constant
    /// × gamma every `every` steps.
    case step(every: Int, gamma: Float)
    /// base · (1 - t/T)^power (power 0.9 in DeepLab/mmsegmentation).
    case poly(power: Float)
    /// Cosine from base to `minLR` over T steps.
    case cosine(minLR: Float)
  }

  public var kind: Kind
  public var base: Float
  public var totalSteps: Int
  /// Linear warmup from base · warmupStart to base over the first `warmupSteps` steps.
  public var warmupSteps: Int
  public var warmupStart: Float

  public init(_ kind: Kind, base: Float, totalSteps: Int, warmupSteps: Int = 0, warmupStart: Float = 0.001) {
    self.kind = kind
    self.base = base
    self.totalSteps = max(totalSteps, 1)
    self.warmupSteps = warmupSteps
    self.warmupStart = warmupStart
  }

  /// The learning rate for step `t` (0-based).
  public func learningRate(at t: Int) -> Float {
    let progress = Float(min(t, totalSteps)) / Float(totalSteps)
    var lr: Float
    switch kind {
    case .constant: lr = base
    case .step(let every, let gamma): lr = base * powf(gamma, Float(t / max(every, 1)))
    case .poly(let power): lr = base * powf(1 - progress, power)
    case .cosine(let minLR): lr = minLR + (base - minLR) * (1 + cosf(.pi * progress)) / 2
    }
    if t < warmupSteps {
      let alpha = Float(t) / Float(warmupSteps)
      lr *= warmupStart + (1 - warmupStart) * alpha
    }
    return lr
  }
}
