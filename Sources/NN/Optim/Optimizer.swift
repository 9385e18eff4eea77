import Tensor

/// Updates parameters from their gradients. State (momentum, Adam moments) is kept per parameter
/// name so that checkpoints can save and restore it exactly.
public protocol Optimizer: AnyObject {
  var learningRate: Float { get set }
  /// One update of every trainable parameter that has a gradient.
  func step() throws
  /// Optimizer state by "<parameter name>.<slot>", plus scalar counters.
  func stateDict() -> [String: [Float]]
  func loadStateDict(_ state: [String: [Float]]) throws
}

/// A parameter's values and gradient as flat fp32 buffers (both plain layout).
func withValueAndGradient(
  _ p: Parameter, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
) {
  guard p.trainable, let g = p.grad else { return }
  body(p.value.floats, g.floats, p.value.count)
}

/// Restores a slot of per-parameter state, checking its length against the parameter.
func restoreSlot(_ state: [String: [Float]], _ key: String, count: Int) throws -> [Float]? {
  guard let v = state[key] else { return nil }
  guard v.count == count else {
    throw TensorError.shapeMismatch(
      op: "optimizer state", detail: "\(key) has \(v.count) values, parameter has \(count)")
  }
  return v
}

/// Per-parameter optimiser state, held by reference so that updating it in place never copies
/// (a dictionary of arrays would copy a VGG-sized buffer on every step).
final class Slot {
  var values: [Float]
  init(_ values: [Float]) { self.values = values }
  init(zeros n: Int) { values = [Float](repeating: 0, count: n) }
}
