import Foundation
import Tensor

/// Adam (L2 weight decay in the gradient) and AdamW (decoupled weight decay), PyTorch semantics.
public final class Adam: Optimizer {
  public let parameters: [Parameter]
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var eps: Float
  public var weightDecay: Float
  /// true: AdamW (decay applied to the weights directly); false: Adam with L2 in the gradient.
  public let decoupled: Bool
  private var m: [String: Slot] = [:]
  private var v: [String: Slot] = [:]
  private var steps: [String: Int] = [:]

  public init(
    _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.weightDecay = weightDecay
    self.decoupled = decoupled
  }

  /// AdamW with PyTorch's default weight decay of 0.01.
  public static func adamW(_ parameters: [Parameter], learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
    Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupled: true)
  }

  public func step() throws {
    for p in parameters {
      withValueAndGradient(p) { w, g, n in
        let t = (steps[p.name] ?? 0) + 1
        steps[p.name] = t
        let mm = m[p.name] ?? Slot(zeros: n, like: p)
        let vv = v[p.name] ?? Slot(zeros: n, like: p)
        mm.follow(p)
        vv.follow(p)
        m[p.name] = mm
        v[p.name] = vv
        let (lr, b1, b2, wd) = (learningRate, beta1, beta2, weightDecay)
        let bc1 = 1 - powf(b1, Float(t))
        let bc2 = 1 - powf(b2, Float(t))
        let stepSize = lr / bc1
        let bc2Root = bc2.squareRoot()
        mm.values.withUnsafeMutableBufferPointer { m in
          vv.values.withUnsafeMutableBufferPointer { v in
            for i in 0..<n {
              var d = g[i]
              if decoupled { w[i] *= 1 - lr * wd } else { d += wd * w[i] }
              m[i] = b1 * m[i] + (1 - b1) * d
              v[i] = b2 * v[i] + (1 - b2) * d * d
              w[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Root + eps)
            }
          }
        }
      }
    }
  }

  public func stateDict() -> [String: [Float]] {
    var s = [String: [Float]]()
    let shapes = Dictionary(parameters.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    for (k, x) in m { s["\(k).exp_avg"] = x.plainValues(shape: shapes[k] ?? [x.values.count]) }
    for (k, x) in v { s["\(k).exp_avg_sq"] = x.plainValues(shape: shapes[k] ?? [x.values.count]) }
    for (k, t) in steps { s["\(k).step"] = [Float(t)] }
    return s
  }

  public func loadStateDict(_ state: [String: [Float]]) throws {
    m = [:]
    v = [:]
    steps = [:]
    for p in parameters {
      let n = p.value.count
      if let x = try restoreSlot(state, "\(p.name).exp_avg", count: n) { m[p.name] = Slot(x) }
      if let x = try restoreSlot(state, "\(p.name).exp_avg_sq", count: n) { v[p.name] = Slot(x) }
      if let t = state["\(p.name).step"]?.first {
        // A count read from a file: Int(NaN) or Int(1e30) would trap.
        guard let step = Int(exactly: t), step >= 0 else {
          throw TensorError.unsupported("optimizer state: \(p.name).step is \(t), not a step count")
        }
        steps[p.name] = step
      }
    }
  }
}
