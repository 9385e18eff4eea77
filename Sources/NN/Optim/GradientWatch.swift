import Tensor

/// Tells `ready(p)` the moment backward has produced a parameter's whole gradient, the gradient
/// staying in `p.grad` (unlike `ImmediateUpdate`, which consumes it). Data-parallel training
/// starts summing a group of gradients across processes while backward computes the rest.
///
/// Completion is counted as for `ImmediateUpdate`: forward counts each use of a parameter, each
/// backward accumulation counts one down, and at zero the gradient is complete (the course
/// FCN-8 uses one deconvolution twice).
public final class GradientWatch {
  let ready: (Parameter) throws -> Void
  let parameters: [Parameter]

  public init(_ parameters: [Parameter], ready: @escaping (Parameter) throws -> Void) {
    self.parameters = parameters.filter(\.trainable)
    self.ready = ready
  }

  /// Runs `body` (forward and backward) with the watch installed on every trainable parameter.
  public func during<T>(_ body: () throws -> T) throws -> T {
    for p in parameters {
      p.watch = self
      p.watchPendingUses = 0
    }
    defer {
      for p in parameters {
        p.watch = nil
        p.watchPendingUses = 0
      }
    }
    return try body()
  }

  /// Called by `Parameter.accumulate` once `p.grad` holds a use's contribution.
  func added(to p: Parameter) throws {
    p.watchPendingUses -= 1
    guard p.watchPendingUses == 0 else { return }
    try ready(p)
  }
}
