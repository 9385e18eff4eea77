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

/// A parameter's values and gradient as flat fp32 buffers, both in the parameter's layout
/// (plain, or the blocked layout of a large weight: without padding, so still `count` elements).
func withValueAndGradient(
  _ p: Parameter, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
) {
  guard p.trainable, let g = p.grad else { return }
  precondition(g.desc.isEqual(p.value.desc), "\(p.name): gradient \(g.desc) in another layout than \(p.value.desc)")
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
/// (a dictionary of arrays would copy a VGG-sized buffer on every step). Its elements are in
/// its parameter's layout while training (`layout`, nil = plain: a large weight's slot is
/// blocked like the weight, so the update stays elementwise) and plain in `stateDict()`.
final class Slot {
  var values: [Float]
  private(set) var layout: MemoryDesc?
  /// Plain values (zeros, or read from a state dict).
  init(_ values: [Float]) { self.values = values }
  init(zeros n: Int, like p: Parameter) {
    values = [Float](repeating: 0, count: n)
    layout = p.isBlocked ? p.value.desc : nil
  }

  /// Moves the values into `p`'s layout if they are in another (once, after a state dict load
  /// or when the weight went blocked).
  func follow(_ p: Parameter) {
    let wanted = p.isBlocked ? p.value.desc : nil
    if layout == nil && wanted == nil { return }
    if let layout, let wanted, layout.isEqual(wanted) { return }
    values = convertedOrFail(values, p.shape, from: layout, to: wanted)
    layout = wanted
  }

  /// The values in the plain layout, for state dicts and checkpoints.
  func plainValues(shape: [Int]) -> [Float] {
    guard let layout else { return values }
    return convertedOrFail(values, shape, from: layout, to: nil)
  }
}

/// `convertLayout` for slots: the two layouts describe the same parameter, so failing is a bug.
private func convertedOrFail(_ v: [Float], _ shape: [Int], from: MemoryDesc?, to: MemoryDesc?) -> [Float] {
  do { return try convertLayout(v, shape: shape, from: from, to: to) } catch {
    preconditionFailure("optimizer state: layout conversion failed: \(error)")
  }
}
