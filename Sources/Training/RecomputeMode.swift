/// `--recompute`: whether a training step keeps every backbone activation for backward or only
/// each VGG block's input, running the block again in backward (activation checkpointing). The
/// weights are the same bit for bit either way; recomputing costs one more forward of the
/// backbone per step and keeps its activations alive one block at a time.
public enum RecomputeMode: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
  /// Recompute only when the planner finds that the ordinary step would not fit in memory.
  case auto
  case on
  case off

  public var description: String { rawValue }
}
