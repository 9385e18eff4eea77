import Tensor

/// BatchNorm2d with PyTorch's parameter and buffer names (weight, bias, running_mean,
/// running_var, num_batches_tracked) and momentum meaning.
public final class BatchNorm2D: Module {
  public let weight: Parameter
  public let bias: Parameter
  public let stats: RunningStats
  public var momentum: Float
  public let eps: Float
  public var training = true
  /// Frozen (`fcn train --freeze-bn`): even in training mode it normalises with the running
  /// statistics and leaves them unchanged, as in eval; γ and β still learn. Batches of one or
  /// two images give batch statistics too noisy to train with.
  public var frozen = false
  public let name: String
  /// Set for synchronised BatchNorm in data-parallel training: training batches are normalised
  /// with the statistics of every process's samples (see syncBatchNorm2d).
  public var statisticsAcross: CrossProcessSum?
  /// Set when an in-place ReLU follows and nothing else reads this layer's output: in training
  /// the ReLU is then applied by the BatchNorm (one oneDNN pass, a bit mask for backward; see
  /// ReLUActivated) and the graph's ReLU passes the activated output through. Not with
  /// synchronised statistics, whose backward is partly hand-written.
  public var fusesFollowingReLU = false
  /// Set when nothing but this layer reads its input (the convolution before it): in training
  /// its backward, the input's last reader, then gives the input's storage back, where the
  /// convolution that made it would hold it until its own backward.
  public var readsInputAlone = false

  public init(_ name: String, channels: Int, momentum: Float = 0.1, eps: Float = 1e-5) throws {
    self.name = name
    self.momentum = momentum
    self.eps = eps
    weight = try Parameter("\(name).weight", shape: [channels], values: [Float](repeating: 1, count: channels))
    bias = try Parameter("\(name).bias", shape: [channels], values: [Float](repeating: 0, count: channels))
    stats = try RunningStats(channels: channels)
  }

  public var parameters: [Parameter] { [weight, bias] }
  public var buffers: [(name: String, tensor: Tensor)] {
    [("\(name).running_mean", stats.mean), ("\(name).running_var", stats.variance)]
  }
  public func setTraining(_ training: Bool) { self.training = training }

  public func callAsFunction(_ x: Variable) throws -> Variable {
    if training && !frozen, let group = statisticsAcross {
      try checkShapes(x)
      return try syncBatchNorm2d(
        x, gamma: weight, beta: bias, stats: stats, momentum: momentum, eps: eps, name: name, across: group)
    }
    return try batchNorm2d(
      x, gamma: weight, beta: bias, stats: stats, training: training && !frozen, momentum: momentum, eps: eps,
      fuseReLU: fusesFollowingReLU, discardsInput: readsInputAlone, name: name)
  }

  /// The plain batch norm's shape check, for the synchronised path.
  private func checkShapes(_ x: Variable) throws {
    let xs = x.shape
    guard xs.count == 4, xs[1] == weight.shape[0] else {
      throw TensorError.shapeMismatch(
        op: name,
        detail:
          "input \(describe(xs)) needs scale, shift and statistics of shape [\(xs.count == 4 ? xs[1] : 0)], got \(describe(weight.shape))"
      )
    }
  }
}
