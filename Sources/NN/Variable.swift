import Tensor

/// A value in the computation with, after `Tape.backward`, the gradient of the loss with respect
/// to it. The gradient always has the same layout as the value.
public class Variable {
  public var value: Tensor
  public var grad: Tensor?
  public let requiresGrad: Bool

  public init(_ value: Tensor, requiresGrad: Bool = false) {
    self.value = value
    self.requiresGrad = requiresGrad
  }

  public var shape: [Int] { value.shape }

  /// Adds `g` (any layout with the value's shape) into `grad`.
  func accumulate(_ g: Tensor) throws {
    let g = try g.reordered(to: value.desc)
    if let existing = grad {
      try addInPlace(existing, g)
    } else {
      grad = g
    }
  }
}

/// A trainable tensor: fp32 master value in the plain layout (OIHW for conv weights), or for
/// large convolution weights the blocked layout their convolution wants (`BlockedWeights`);
/// its gradient in the same layout, written in place by backward.
public final class Parameter: Variable {
  public let name: String
  /// Frozen parameters (e.g. fixed bilinear deconvs) get no gradient and no update.
  public var trainable: Bool
  /// True while `grad` holds zeros only, so the next backward can write instead of add.
  var gradIsZero = true
  /// While an `ImmediateUpdate` runs: it, and how many recorded uses have yet to add their
  /// part of the gradient.
  var immediate: ImmediateUpdate?
  var pendingUses = 0
  /// While a `GradientWatch` runs: it, and the uses yet to add their part.
  var watch: GradientWatch?
  var watchPendingUses = 0
  /// Inside `keepingInferenceCopies`: the weight in the layout a tape-less forward wants.
  var keepsInferenceCopy = false { didSet { if !keepsInferenceCopy { inferenceCopy = nil } } }
  private var inferenceCopy: Tensor?

  /// `view` (this weight seen as its op's plain descriptor) in layout `desc`; kept for the next
  /// call while inference copies are on, reordered afresh otherwise.
  func inLayout(_ desc: MemoryDesc, view: Tensor) throws -> Tensor {
    guard keepsInferenceCopy else { return try view.reordered(to: desc) }
    if let copy = inferenceCopy, copy.desc.isEqual(desc) { return copy }
    let copy = try view.reordered(to: desc)
    inferenceCopy = copy
    return copy
  }

  public init(_ name: String, _ value: Tensor, trainable: Bool = true) {
    self.name = name
    self.trainable = trainable
    super.init(value, requiresGrad: trainable)
  }

  public convenience init(_ name: String, shape: [Int], values: [Float], trainable: Bool = true) throws {
    try self.init(name, Tensor(shape: shape, values: values), trainable: trainable)
  }

  /// The gradient storage, allocated (zeroed) on first use and kept across steps; under an
  /// `ImmediateUpdate` a transient buffer, uninitialised since the first write overwrites it.
  public func gradient() throws -> Tensor {
    if let g = grad { return g }
    let g = try immediate != nil ? Tensor(desc: value.desc) : Tensor.zeros(like: value.desc)
    grad = g
    gradIsZero = true
    return g
  }

  public func zeroGrad() {
    grad?.zero()
    gradIsZero = true
  }

  /// Adds `g` into the gradient; `g` may be in any layout with the parameter's shape.
  override func accumulate(_ g: Tensor) throws {
    let dst = try gradient()
    if gradIsZero {
      try reorder(from: g, to: dst)
      gradIsZero = false
    } else {
      try addInPlace(dst, g.reordered(to: dst.desc))
    }
    try immediate?.added(to: self)
    try watch?.added(to: self)
  }

  /// Adds `g`, whose plain form is `plain` (e.g. a conv's GOIHW view of this OIHW weight), with
  /// no intermediate copy on the first write: the reorder writes straight into the gradient.
  func accumulate(_ g: Tensor, seenAs plain: MemoryDesc) throws {
    if isBlocked { return try accumulateBlocked(g) }
    let dst = try gradient()
    if !g.desc.isEqual(plain) { BlockedWeights.count(self) { $0.gradient += 1 } }
    if gradIsZero {
      try reorder(from: g, to: Tensor(viewing: dst, as: plain))
      gradIsZero = false
    } else {
      try addInPlace(dst, Tensor(viewing: g.reordered(to: plain), as: value.desc))
    }
    try immediate?.added(to: self)
    try watch?.added(to: self)
  }

  /// A blocked weight's gradient `g` from backward-weights: when it is already in the
  /// weight's layout and no gradient is kept, it becomes the gradient (no copy at all).
  private func accumulateBlocked(_ g: Tensor) throws {
    if !g.desc.isEqual(value.desc) { BlockedWeights.count(self) { $0.gradient += 1 } }
    guard grad == nil, g.desc.isEqual(value.desc) else { return try accumulate(g) }
    grad = g
    gradIsZero = false
    try immediate?.added(to: self)
    try watch?.added(to: self)
  }

  public var values: [Float] { get throws { try value.toArray() } }
}

/// dst += src, elementwise over the whole buffer (same layout, so padding lines up too).
func addInPlace(_ dst: Tensor, _ src: Tensor) throws {
  guard dst.desc.isEqual(src.desc) else {
    throw TensorError.shapeMismatch(op: "accumulate", detail: "\(dst.desc) += \(src.desc)")
  }
  if dst.dtype == .bf16 { return try addInPlaceBF16(dst, src) }
  guard dst.dtype == .f32 else { throw TensorError.dtypeMismatch(op: "accumulate", detail: "\(dst.dtype)") }
  let n = dst.buffer.byteCount / 4
  let d = dst.floats
  let s = src.floats
  for i in 0..<n { d[i] += s[i] }
}

/// Runs `body`, a stretch of tape-less forward passes (evaluation, prediction), keeping each
/// weight's copy in its convolution's preferred blocked layout between passes instead of
/// reordering it on every call (for the paper's 7×7 fc6 that reorder costs as much as the
/// convolution). Weights must not change inside `body`; the copies are dropped on return.
public func keepingInferenceCopies<T>(of parameters: [Parameter], _ body: () throws -> T) rethrows -> T {
  for p in parameters { p.keepsInferenceCopy = true }
  defer { for p in parameters { p.keepsInferenceCopy = false } }
  return try body()
}
