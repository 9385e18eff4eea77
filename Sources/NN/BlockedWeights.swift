import CDNNL
import Tensor

/// Large convolution weights kept in oneDNN's blocked layout for good (issue 13).
///
/// A weight normally lives plain (OIHW, PyTorch's order) and every training convolution
/// reorders it into the blocked layout its primitive wants: for the paper's 7×7 fc6
/// (4096×512×7×7, 392 MiB) that is a 392 MiB copy in forward, another in backward-data, and
/// the blocked weight gradient reordered back to plain beside the blocked one, ~0.9 s of
/// reorders per step on 2 cores. A convolution weight of at least `threshold` bytes instead
/// *adopts* the layout of its first training forward primitive (e.g. ABcd16b16a): its value,
/// its gradient (backward-weights writes it there directly) and the optimiser's slots for it
/// (momentum, Adam's moments) all live in that layout, and the update stays elementwise.
/// Backward-data still wants another layout on oneDNN 3.2 (ABcd16a16b; given ABcd16b16a it
/// falls back to `ref:any`), so that one reorder per step remains, as a transient that the
/// weight gradient reuses once backward-data is done.
///
/// Only layouts without padding are adopted (their storage has exactly one element per
/// logical element: fc6/fc7 and every VGG conv past the first), so element counts, gradient
/// buckets and padding need no special case: padding elements would have to stay zero through
/// every update, and nothing large needs them.
///
/// Adoption replaces `Parameter.value` with a new tensor over the same storage: a `Tensor`
/// taken from `value` before the first training step (rather than read through the parameter
/// or `stateDict()` when needed) would see blocked bytes under its plain descriptor.
///
/// Plain values are made in one place, `Parameter.plainValue()` / `Tensor.toArray()` (state
/// dict, checkpoints, export, clipping's norm), and optimiser slots go through
/// `convertLayout`, so files stay byte for byte what they were.
public enum BlockedWeights {
  /// Convolution weights of at least this many bytes are kept blocked. 16 MiB: the paper
  /// net's fc6 (392 MiB) and fc7 (64 MiB), the course net's fc7 (64 MiB); the 3×3 weights
  /// (at most 9 MiB) cost a few ms of reorders a step. `Int.max` turns it off.
  public static var threshold = 16 << 20

  /// Reorders of convolution weights for training primitives, counted so that tests can see a
  /// large weight is no longer copied per call: into the forward layout, into the
  /// backward-data layout, and of a weight gradient into the parameter's layout.
  public struct Traffic: Equatable, Sendable {
    public var forward = 0
    public var backwardData = 0
    public var gradient = 0
    public init() {}
  }
  /// Counts for weights kept blocked (`blocked`) and for the others (`plain`).
  public static var blocked = Traffic()
  public static var plain = Traffic()

  static func count(_ p: Parameter, _ body: (inout Traffic) -> Void) {
    if p.isBlocked { body(&blocked) } else { body(&plain) }
  }
}

extension Parameter {
  /// Whether the value (and so the gradient) is in a blocked layout rather than plain.
  public var isBlocked: Bool { !value.isPlain }

  /// The value in the plain layout (PyTorch's order): itself when plain, else a copy.
  public func plainValue() throws -> Tensor { try value.plain() }

  /// What convolutions reorder from: the value seen as the op's plain descriptor (`plain`:
  /// OIHW, or the GOIHW view of a grouped weight), or the blocked value itself.
  func convolutionSource(plain: MemoryDesc) throws -> Tensor {
    isBlocked ? value : try Tensor(viewing: value, as: plain)
  }

  /// Called by a training convolution with the weight layout its forward primitive chose:
  /// a plain fp32 OIHW weight of at least `BlockedWeights.threshold` bytes moves into it for
  /// good (with its gradient, if one is kept), when that layout has no padding. The move is
  /// made in the weight's own buffer through a copy outside the pool: a freed 392 MiB buffer
  /// left idle in the pool would be taken by the next large request (fc7's 64 MiB weight) and
  /// held for good.
  func adoptLayoutIfLarge(_ wanted: MemoryDesc, plain: MemoryDesc) throws {
    guard !isBlocked, value.dtype == .f32, value.desc.byteSize >= BlockedWeights.threshold,
      plain.isEqual(value.desc), !wanted.isEqual(value.desc), wanted.byteSize == value.desc.byteSize,
      wanted.dims == value.shape
    else { return }
    func inPlace(_ t: Tensor) throws -> Tensor {
      let copy = UnsafeMutableRawPointer.allocate(byteCount: t.buffer.byteCount, alignment: 64)
      defer { copy.deallocate() }
      copy.copyMemory(from: t.buffer.pointer, byteCount: t.buffer.byteCount)
      let moved = try Tensor(viewing: t, as: wanted)
      try reorderRaw(copy, t.desc, into: moved.buffer.pointer, wanted)
      return moved
    }
    value = try inPlace(value)
    if let g = grad { grad = try inPlace(g) }
  }
}

extension Parameter {
  /// `source` (from `convolutionSource`) in a training primitive's layout `desc`, counted in
  /// `BlockedWeights.blocked` / `.plain` when that takes a reorder.
  func trainingCopy(of source: Tensor, in desc: MemoryDesc, backwardData: Bool = false) throws -> Tensor {
    if !source.desc.isEqual(desc) {
      BlockedWeights.count(self) { t in
        if backwardData { t.backwardData += 1 } else { t.forward += 1 }
      }
    }
    if isBlocked && !source.desc.isEqual(desc) {
      let copy = try Tensor(unpooled: desc)
      try reorder(from: source, to: copy)
      return copy
    }
    return try source.reordered(to: desc)
  }

  /// Where backward-weights writes this weight's gradient: for a blocked weight, storage
  /// outside the pool (it becomes the gradient, and is freed after the update).
  func weightGradientBuffer(_ desc: MemoryDesc) throws -> Tensor {
    try isBlocked ? Tensor(unpooled: desc) : Tensor(desc: desc)
  }
}

/// `values`, a parameter's elements in the layout `from` (nil: plain), in the layout `to`
/// (nil: plain); the same array when the two agree. Optimiser slots go through here: they
/// follow their parameter's layout while training and are plain in state dicts and files.
/// The reorder runs between the two arrays, so no pool buffer is taken (a checkpoint of the
/// paper net would otherwise leave 392 MiB buffers idle in the pool).
func convertLayout(_ values: [Float], shape: [Int], from: MemoryDesc?, to: MemoryDesc?) throws -> [Float] {
  let plain = try MemoryDesc(shape, .f32, plainTag(shape.count))
  let src = from ?? plain
  let dst = to ?? plain
  if src.isEqual(dst) { return values }
  guard src.byteSize == 4 * values.count, dst.byteSize % 4 == 0 else {
    throw TensorError.shapeMismatch(op: "optimizer state", detail: "\(values.count) values in layout \(src)")
  }
  var out = [Float](repeating: 0, count: dst.byteSize / 4)
  try values.withUnsafeBytes { a in
    try out.withUnsafeMutableBytes { b in
      // oneDNN only reads the source; its memory objects take a mutable handle.
      try reorderRaw(UnsafeMutableRawPointer(mutating: a.baseAddress!), src, into: b.baseAddress!, dst)
    }
  }
  return out
}
