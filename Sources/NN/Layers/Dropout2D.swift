import SeededRandom

/// Channel-wise dropout with its own seeded generator (saved in checkpoints for exact resume).
public final class Dropout2D: Module {
  public let p: Float
  public var training = true
  public var rng: Xoshiro256
  /// Set in data-parallel training: where this process's samples sit in the global batch.
  public var window: SampleWindow?

  public init(p: Float = 0.5, seed: UInt64) {
    self.p = p
    rng = Xoshiro256(seed: seed)
  }

  public var parameters: [Parameter] { [] }
  public func setTraining(_ training: Bool) { self.training = training }

  public func callAsFunction(_ x: Variable) throws -> Variable {
    try dropout2d(x, p: p, training: training, rng: &rng, window: window)
  }
}
