import Foundation
import NN
import SegData

/// Everything `fcn train` was asked to do; saved as the run's config.json.
public struct TrainOptions: Codable, Equatable {
  public var model: String = "fcn8s"
  public var data: String = "synthetic"
  /// Where a COCO data set's images are, when not next to its JSON.
  public var images: String? = nil
  public var crop: ImageSize? = nil
  public var syntheticSize = ImageSize(height: 64, width: 64)
  public var batch = 8
  public var epochs: Int? = nil
  public var steps: Int? = nil
  public var optimizer = "sgd"
  public var learningRate: Float = 0.01
  public var momentum: Float = 0.9
  public var weightDecay: Float = 5e-4
  public var schedule = "poly"
  public var warmup = 0
  public var clipNorm: Float? = nil
  public var classWeights: [Float]? = nil
  public var precision = "fp32"
  public var accumulate = 1
  public var seed: UInt64 = 0
  public var workers = 1
  public var normalize = "imagenet"
  public var evalEvery = 0
  public var checkpointEvery = 50
  public var skipBad = false
  public var scaleJitter = true
  public var flip = true

  public init() {}

  public func validate() throws {
    func bad(_ s: String) -> TrainingError { .config(s) }
    if batch < 1 { throw bad("--batch must be at least 1, got \(batch)") }
    if accumulate < 1 { throw bad("--accumulate must be at least 1, got \(accumulate)") }
    if let steps, steps < 1 { throw bad("--steps must be at least 1, got \(steps)") }
    if let epochs, epochs < 1 { throw bad("--epochs must be at least 1, got \(epochs)") }
    if !["sgd", "adamw", "adam"].contains(optimizer) {
      throw bad("--optimizer must be sgd, adam or adamw, got \(optimizer)")
    }
    if !["poly", "step", "cosine", "constant"].contains(schedule) {
      throw bad("--schedule must be poly, step, cosine or constant, got \(schedule)")
    }
    if !(learningRate > 0) || !learningRate.isFinite {
      throw bad("--lr must be positive and finite, got \(learningRate)")
    }
    // Written to config.json, whose JSON cannot hold NaN or infinity.
    for (flag, value) in [("--momentum", momentum), ("--weight-decay", weightDecay), ("--clip-norm", clipNorm ?? 1)]
    where !(value >= 0 && value.isFinite) {
      throw bad("\(flag) must be a finite number ≥ 0, got \(value)")
    }
    if !(0...1024).contains(workers) { throw bad("--workers must be 0 to 1024, got \(workers)") }
    if Normalization(rawValue: normalize) == nil {
      throw bad("--normalize must be imagenet, caffe or none, got \(normalize)")
    }
    if !["fp32", "bf16"].contains(precision) { throw bad("--precision must be fp32 or bf16, got \(precision)") }
    // Generated before the memory planner runs (it sizes the first sample), so bounded here:
    // 100000x100000 aborted allocating 240 GB.
    if let problem = ImageLimits.problem(width: syntheticSize.width, height: syntheticSize.height) {
      throw bad("--synthetic-size: \(problem)")
    }
  }

  func makeOptimizer(_ parameters: [Parameter]) -> Optimizer {
    switch optimizer {
    case "adamw": return Adam.adamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
    case "adam": return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupled: false)
    default: return SGD(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    }
  }

  func makeSchedule(totalSteps: Int) -> LRSchedule {
    let kind: LRSchedule.Kind
    switch schedule {
    case "step": kind = .step(every: max(1, totalSteps / 3), gamma: 0.1)
    case "cosine": kind = .cosine(minLR: 0)
    case "constant": kind = .constant
    default: kind = .poly(power: 0.9)
    }
    return LRSchedule(kind, base: learningRate, totalSteps: totalSteps, warmupSteps: warmup)
  }
}
