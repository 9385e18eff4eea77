import NN

extension TrainOptions {
  /// Whether SGD updates each parameter during backward, as soon as its gradient is complete
  /// (`ImmediateUpdate`: no gradient buffer per parameter, the model's size in memory saved).
  /// Clipping by the global norm and accumulating several batches need every gradient before
  /// the first update, and Adam is not done this way yet: those keep the ordinary path. So does
  /// data-parallel training: gradients are summed over the processes before any update.
  public var updatesDuringBackward: Bool { optimizer == .sgd && accumulate == 1 && clipNorm == nil && worldSize == 1 }
}

/// The update to install around each step's forward and backward, nil for the ordinary path.
func updateDuringBackward(_ options: TrainOptions, _ optimizer: Optimizer, _ parameters: [Parameter])
  -> ImmediateUpdate?
{
  guard options.updatesDuringBackward, let sgd = optimizer as? SGD else { return nil }
  return ImmediateUpdate(parameters) { sgd.update($0, gradient: $1) }
}

extension Optional where Wrapped == ImmediateUpdate {
  /// `body` under the update when there is one, else as it is.
  func during<T>(_ body: () throws -> T) throws -> T {
    guard let update = self else { return try body() }
    return try update.during(body)
  }
}

extension TrainableModel {
  /// What updating during backward saves: every trainable parameter's gradient buffer, less
  /// the one transient buffer the size of the largest parameter that replaces them. A largest
  /// weight kept blocked (`BlockedWeights`) needs none: its transient weight gradient, already
  /// counted by the estimate, is the one that gets applied.
  var gradientBytesSavedDuringBackward: Int64 {
    let trainable = parameters.filter(\.trainable)
    let total = trainable.reduce(0) { $0 + $1.value.count }
    guard let largest = trainable.max(by: { $0.value.count < $1.value.count }) else { return 0 }
    let blocked = largest.shape.count == 4 && 4 * largest.value.count >= BlockedWeights.threshold
    return 4 * Int64(total - (blocked ? 0 : largest.value.count))
  }
}
