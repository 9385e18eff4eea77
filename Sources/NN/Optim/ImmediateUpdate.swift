import Tensor

/// Applies an optimiser's update to each parameter the moment backward has produced its whole
/// gradient, instead of after backward: the gradient then lives in a transient buffer (from the
/// pool, so one the size of the largest layer serves them all) rather than in a buffer per
/// parameter kept for the whole step. This saves the size of the model's weights.
///
/// Only for updates that need nothing but the parameter's own gradient: plain SGD/momentum with
/// one batch per step. Clipping by the global norm, or accumulating several batches, needs every
/// gradient first, so those take the ordinary `Optimizer.step()` path.
///
/// A parameter's gradient is complete when every op that used it in forward has added its part
/// (the course FCN-8 uses one deconvolution twice): forward counts the uses (`recording`), each
/// backward accumulation counts one down, and the update runs at zero. Backward reads a weight
/// (backward-data, BatchNorm's scale) before it adds that weight's gradient, so no op ever sees an
/// updated weight: the result is bit for bit the ordinary path's.
public final class ImmediateUpdate {
  let apply: (Parameter, Tensor) throws -> Void
  let parameters: [Parameter]

  /// `apply(p, g)` updates `p` from its complete gradient `g` (plain layout, like `p.value`).
  public init(_ parameters: [Parameter], apply: @escaping (Parameter, Tensor) throws -> Void) {
    self.parameters = parameters.filter(\.trainable)
    self.apply = apply
  }

  /// Runs `body` (forward and backward of one step) with the update installed on every
  /// trainable parameter; afterwards no parameter holds a gradient.
  public func during<T>(_ body: () throws -> T) throws -> T {
    for p in parameters {
      p.immediate = self
      p.pendingUses = 0
      p.grad = nil
    }
    defer {
      for p in parameters {
        p.immediate = nil
        p.grad = nil
        p.pendingUses = 0
      }
    }
    return try body()
  }

  /// Called by `Parameter.accumulate` once `p.grad` holds a use's contribution.
  func added(to p: Parameter) throws {
    p.pendingUses -= 1
    guard p.pendingUses <= 0, let g = p.grad else { return }
    p.grad = nil
    p.gradIsZero = true
    try apply(p, g)
  }
}
