import Tensor

/// Stochastic gradient descent with PyTorch's semantics: L2 weight decay added to the gradient,
/// momentum buffer initialised to the first gradient, optional dampening and Nesterov.
public final class SGD: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  public var momentum: Float
  public var dampening: Float
  public var weightDecay: Float
  public var nesterov: Bool
  private var buffers: [String: Slot] = [:]

  public init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  public func step() throws {
    for p in parameters {
      withValueAndGradient(p) { w, g, n in update(p, w, g, n) }
    }
  }

  /// The update of one parameter from its complete gradient `g` (plain layout), for
  /// `ImmediateUpdate`: the same arithmetic as `step()`, parameter by parameter.
  public func update(_ p: Parameter, gradient g: Tensor) {
    guard p.trainable else { return }
    update(p, p.value.floats, g.floats, p.value.count)
  }

  private func update(_ p: Parameter, _ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ n: Int) {
    let first = buffers[p.name] == nil
    let slot = buffers[p.name] ?? Slot(zeros: n, like: p)
    slot.follow(p)
    let (lr, mu, damp, wd) = (learningRate, momentum, dampening, weightDecay)
    slot.values.withUnsafeMutableBufferPointer { b in
      for i in 0..<n {
        var d = g[i] + wd * w[i]
        if mu != 0 {
          b[i] = first ? d : mu * b[i] + (1 - damp) * d
          d = nesterov ? d + mu * b[i] : b[i]
        }
        w[i] -= lr * d
      }
    }
    if mu != 0 && first { buffers[p.name] = slot }
  }

  public func stateDict() -> [String: [Float]] {
    let shapes = Dictionary(parameters.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    return Dictionary(
      uniqueKeysWithValues: buffers.map {
        ("\($0.key).momentum_buffer", $0.value.plainValues(shape: shapes[$0.key] ?? [$0.value.values.count]))
      })
  }

  public func loadStateDict(_ state: [String: [Float]]) throws {
    buffers = [:]
    for p in parameters {
      if let v = try restoreSlot(state, "\(p.name).momentum_buffer", count: p.value.count) { buffers[p.name] = Slot(v) }
    }
  }
}
