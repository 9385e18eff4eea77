import Tensor

/// Records the backward step of every op run while it is active, and replays them in reverse.
///
/// Forward code reads like PyTorch: `let y = try relu(conv(x))`; ops whose inputs need gradients
/// push a closure here. `backward(from:)` runs the closures last-first and drops each one as soon
/// as it has run, so the activations it captured are freed as early as possible.
public final class Tape {
  /// The tape ops record on; nil means no recording (inference).
  public internal(set) static var current: Tape?

  private var entries: [() throws -> Void] = []
  /// Whether recording a parameter's use counts it for an `ImmediateUpdate`; false for the
  /// scratch pass of a recomputed segment, whose tape is thrown away unreplayed.
  let countsUses: Bool

  public init() { countsUses = true }

  init(countingUses: Bool) { countsUses = countingUses }

  public var count: Int { entries.count }

  /// Runs `body` with this tape recording.
  public func record<T>(_ body: () throws -> T) rethrows -> T {
    let previous = Tape.current
    Tape.current = self
    defer { Tape.current = previous }
    return try body()
  }

  func push(_ backward: @escaping () throws -> Void) { entries.append(backward) }

  /// Seeds d(loss)/d(loss) = 1 and propagates to every parameter.
  public func backward(from loss: Variable) throws {
    guard loss.value.count == 1 else {
      throw TensorError.shapeMismatch(op: "backward", detail: "loss must be a scalar, got \(describe(loss.shape))")
    }
    let seed = try Tensor(desc: loss.value.desc)
    seed.floats[0] = 1
    try backward(from: loss, seed: seed)
  }

  /// Propagates a given output gradient (any shape): vector-Jacobian products, e.g. for tests.
  public func backward(from output: Variable, seed: Tensor) throws {
    guard seed.shape == output.shape else {
      throw TensorError.shapeMismatch(
        op: "backward", detail: "seed \(describe(seed.shape)) for output \(describe(output.shape))")
    }
    output.grad = try seed.reordered(to: output.value.desc)
    while let step = entries.popLast() { try step() }
  }

  /// Forgets everything recorded (e.g. after an evaluation pass that recorded by mistake).
  public func reset() { entries.removeAll() }
}

/// Whether an op with these inputs must record a backward step.
/// Each parameter under an `ImmediateUpdate` counts the recorded use, whose backward will add
/// one part of its gradient.
func recording(_ inputs: Variable?...) -> Tape? {
  guard let tape = Tape.current, inputs.contains(where: { $0?.requiresGrad == true }) else { return nil }
  for case let p as Parameter in inputs where tape.countsUses && p.immediate != nil && p.requiresGrad {
    p.pendingUses += 1
  }
  return tape
}
