import FCN
import Foundation
import NN
import SegData

/// Everything `fcn train` was asked to do; saved as the run's config.json.
public struct TrainOptions: Codable, Equatable {
  public var model: ModelName = .fcn8s
  public var data: String = "synthetic"
  /// Where a COCO data set's images are, when not next to its JSON.
  public var images: String? = nil
  public var crop: ImageSize? = nil
  public var syntheticSize = ImageSize(height: 64, width: 64)
  public var batch = 8
  public var epochs: Int? = nil
  public var steps: Int? = nil
  public var optimizer = OptimizerKind.sgd
  public var learningRate: Float = 0.01
  public var momentum: Float = 0.9
  public var weightDecay: Float = 5e-4
  public var schedule = ScheduleKind.poly
  public var warmup = 0
  public var clipNorm: Float? = nil
  public var classWeights: [Float]? = nil
  public var precision = Precision.fp32
  public var accumulate = 1
  public var seed: UInt64 = 0
  public var workers = 1
  public var normalize = Normalization.imagenet
  public var evalEvery = 0
  public var checkpointEvery = 50
  public var skipBad = false
  /// Each training image is scaled by a factor drawn from this range before the crop;
  /// 1...1 scales nothing (and draws nothing, so such a run matches one that never had jitter).
  public var scaleJitter: ClosedRange<Double> = TrainOptions.defaultScaleJitter
  /// Flip each training image horizontally with probability 1/2.
  public var flip = true
  /// Activation checkpointing (see RecomputeMode).
  public var recompute = RecomputeMode.auto

  public static let defaultScaleJitter: ClosedRange<Double> = 0.75...1.25

  public init() {}

  /// Reads a config.json from any version: a field it lacks (one added since) keeps its
  /// default, and `scaleJitter` may be the Bool that earlier versions wrote (true: the default
  /// range; false: none). The choices decode from the same strings as before they were types.
  public init(from decoder: Decoder) throws {
    self.init()
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func read<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
      if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
    }
    try read(.model, into: &model)
    try read(.data, into: &data)
    try read(.images, into: &images)
    try read(.crop, into: &crop)
    try read(.syntheticSize, into: &syntheticSize)
    try read(.batch, into: &batch)
    try read(.epochs, into: &epochs)
    try read(.steps, into: &steps)
    try read(.optimizer, into: &optimizer)
    try read(.learningRate, into: &learningRate)
    try read(.momentum, into: &momentum)
    try read(.weightDecay, into: &weightDecay)
    try read(.schedule, into: &schedule)
    try read(.warmup, into: &warmup)
    try read(.clipNorm, into: &clipNorm)
    try read(.classWeights, into: &classWeights)
    try read(.precision, into: &precision)
    try read(.accumulate, into: &accumulate)
    try read(.seed, into: &seed)
    try read(.workers, into: &workers)
    try read(.normalize, into: &normalize)
    try read(.evalEvery, into: &evalEvery)
    try read(.checkpointEvery, into: &checkpointEvery)
    try read(.skipBad, into: &skipBad)
    if let enabled = try? c.decodeIfPresent(Bool.self, forKey: .scaleJitter) {
      scaleJitter = enabled ? Self.defaultScaleJitter : 1...1
    } else {
      try read(.scaleJitter, into: &scaleJitter)
    }
    try read(.flip, into: &flip)
    try read(.recompute, into: &recompute)
  }

  /// The one check of the values that their types allow but training does not; each message
  /// names the command-line option.
  public func validate() throws {
    func bad(_ s: String) -> TrainingError { .config(s) }
    if batch < 1 { throw bad("--batch must be at least 1, got \(batch)") }
    if accumulate < 1 { throw bad("--accumulate must be at least 1, got \(accumulate)") }
    if let steps, steps < 1 { throw bad("--steps must be at least 1, got \(steps)") }
    if let epochs, epochs < 1 { throw bad("--epochs must be at least 1, got \(epochs)") }
    if !(learningRate > 0) || !learningRate.isFinite {
      throw bad("--lr must be positive and finite, got \(learningRate)")
    }
    if !(scaleJitter.lowerBound > 0) || !scaleJitter.upperBound.isFinite {
      throw bad(
        "--scale-jitter must be MIN,MAX with 0 < MIN ≤ MAX, got \(scaleJitter.lowerBound),\(scaleJitter.upperBound)")
    }
    // Written to config.json, whose JSON cannot hold NaN or infinity.
    for (flag, value) in [("--momentum", momentum), ("--weight-decay", weightDecay), ("--clip-norm", clipNorm ?? 1)]
    where !(value >= 0 && value.isFinite) {
      throw bad("\(flag) must be a finite number ≥ 0, got \(value)")
    }
    if !(0...1024).contains(workers) { throw bad("--workers must be 0 to 1024, got \(workers)") }
    // Generated before the memory planner runs (it sizes the first sample), so bounded here:
    // 100000x100000 aborted allocating 240 GB.
    if let problem = ImageLimits.problem(width: syntheticSize.width, height: syntheticSize.height) {
      throw bad("--synthetic-size: \(problem)")
    }
  }

  /// The scale range the training augmentation draws from, nil when it scales nothing.
  public var scaleRange: ClosedRange<Double>? { scaleJitter == 1...1 ? nil : scaleJitter }

  func makeOptimizer(_ parameters: [Parameter]) -> Optimizer {
    optimizer.make(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
  }

  func makeSchedule(totalSteps: Int) -> LRSchedule {
    schedule.make(base: learningRate, totalSteps: totalSteps, warmupSteps: warmup)
  }
}
