import Tensor

/// Activation checkpointing: a stretch of the network (a VGG block) keeps only its input for
/// backward and runs again there, so its activations live during its own backward only, not
/// for the whole step — memory traded for one extra forward of that stretch.
///
/// The result is bit for bit the ordinary path's: forward runs the segment on a scratch tape
/// (so every op builds the same training primitives it always does), backward runs it again
/// from the same input with the same primitives and replays its tape from the gradient that
/// reached the segment's output. What must happen once per step does: the replay leaves
/// BatchNorm's running statistics alone (`Recomputation.isReplaying`), and the scratch pass
/// counts no parameter uses for an `ImmediateUpdate`, whose updates follow the replay's
/// backward as they would the ordinary one's. A segment must not draw random numbers (dropout):
/// the replay would draw others.
public enum Recomputation {
  /// True while a segment runs again in backward.
  public internal(set) static var isReplaying = false

  static func replaying<T>(_ body: () throws -> T) rethrows -> T {
    let previous = isReplaying
    isReplaying = true
    defer { isReplaying = previous }
    return try body()
  }
}

/// `segment(input)`, recomputed in backward when a tape records (plainly run otherwise).
/// `segment` must be a pure function of `input` and the parameters it reads.
public func recomputedInBackward(_ input: Variable, _ segment: @escaping (Variable) throws -> Variable) throws
  -> Variable
{
  guard let tape = Tape.current else { return try segment(input) }
  // The replay computes in the forward's precision, wherever backward runs.
  let precision = MixedPrecision.computeType
  let scratch = Tape(countingUses: false)
  let output = try scratch.record { try segment(input) }
  scratch.reset()  // what it captured for backward goes now: the replay rebuilds it
  guard output.requiresGrad else { return output }
  tape.push {
    guard let dy = output.grad else { return }
    output.grad = nil
    let replay = Tape()
    let again = try replay.record {
      try Recomputation.replaying { try MixedPrecision.computing(in: precision) { try segment(input) } }
    }
    try replay.backward(from: again, seed: dy)
  }
  return output
}
