// Tensor: oneDNN memory with a shape, a type and a layout, and the engine that runs primitives.
//
// Owns: the one CPU engine and stream (Engine; the ISA is queried, never assumed), memory
// descriptors and layout keys, reorders, the primitive cache and the buffer pool (a repeated
// step allocates nothing). Imports CDNNL only: no ops, no gradients, no files.

import CDNNL

/// A dense array in oneDNN memory: a logical shape (NCHW order at the API boundary), an element
/// type, and a physical layout that may be blocked (e.g. nChw8c) inside the network.
///
/// Tensors are reference types because they own storage; the storage comes from `BufferPool`.
public final class Tensor {
  public let shape: [Int]
  public let dtype: DType
  public let desc: MemoryDesc
  private var storage: Buffer?
  private var _memory: dnnl_memory_t?

  /// The storage. A tensor whose storage was `release()`d must be `materialize()`d first.
  public var buffer: Buffer {
    guard let storage else { preconditionFailure("tensor \(desc) read after release() without materialize()") }
    return storage
  }

  /// How to compute this tensor's values again into fresh storage after `release()`; set by the
  /// op that made it when that is much cheaper than keeping it (BatchNorm's output from its
  /// input). Only tensors with a recipe can be released.
  public var recompute: ((Tensor) throws -> Void)?

  /// Whether the storage is currently gone (released and not materialized again).
  public var isReleased: Bool { storage == nil }

  /// Gives the storage back to the pool, keeping the recipe: for activations that forward no
  /// longer reads and backward can rebuild when it gets there.
  public func release() {
    guard recompute != nil, storage != nil else { return }
    if let m = _memory { dnnl_memory_destroy(m) }
    _memory = nil
    storage = nil
  }

  /// Gives the storage back for good, recipe or not: for an activation that something still
  /// references but nothing will read again (a BatchNorm's input once its backward has run,
  /// which the convolution that made it holds until its own backward). Reading it traps.
  public func discard() {
    if let m = _memory { dnnl_memory_destroy(m) }
    _memory = nil
    storage = nil
    recompute = nil
  }

  /// Whether no other tensor shares this one's storage (a view or window of it): with the only
  /// reference to this tensor too, an op may overwrite it in place.
  public var ownsStorageAlone: Bool { storage != nil && isKnownUniquelyReferenced(&storage) }

  /// Brings back released storage by running the recipe; a no-op when the values are here.
  public func materialize() throws {
    guard storage == nil, let recompute else { return }
    storage = Buffer(byteCount: desc.byteSize)
    try recompute(self)
  }

  /// Uninitialised storage with the layout `desc` describes.
  public init(desc: MemoryDesc) throws {
    guard let dtype = DType.from(desc.dtype) else {
      throw TensorError.unsupported("tensor element type \(desc.dtype.rawValue) is not f32, bf16, s32, u8 or s8")
    }
    self.desc = desc
    self.shape = desc.dims
    self.dtype = dtype
    self.storage = Buffer(byteCount: desc.byteSize)
  }

  init(desc: MemoryDesc, sharing buffer: Buffer) throws {
    guard let dtype = DType.from(desc.dtype) else {
      throw TensorError.unsupported("tensor element type \(desc.dtype.rawValue) is not f32, bf16, s32, u8 or s8")
    }
    self.desc = desc
    self.shape = desc.dims
    self.dtype = dtype
    self.storage = buffer
  }

  /// Uninitialised storage in the plain (row-major, NCHW for 4-D) layout.
  public convenience init(shape: [Int], dtype: DType = .f32) throws {
    try self.init(desc: MemoryDesc(shape, dtype, plainTag(shape.count)))
  }

  /// A plain-layout fp32 tensor holding `values` in row-major order.
  public convenience init(shape: [Int], values: [Float]) throws {
    let count = shape.reduce(1, *)
    guard values.count == count else {
      throw TensorError.shapeMismatch(
        op: "Tensor(values:)", detail: "shape \(describe(shape)) needs \(count) values, got \(values.count)")
    }
    try self.init(shape: shape, dtype: .f32)
    values.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  }

  /// A plain-layout int32 tensor (label maps).
  public convenience init(shape: [Int], labels: [Int32]) throws {
    let count = shape.reduce(1, *)
    guard labels.count == count else {
      throw TensorError.shapeMismatch(
        op: "Tensor(labels:)", detail: "shape \(describe(shape)) needs \(count) labels, got \(labels.count)")
    }
    try self.init(shape: shape, dtype: .s32)
    labels.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
  }

  public static func zeros(shape: [Int], dtype: DType = .f32) throws -> Tensor {
    let t = try Tensor(shape: shape, dtype: dtype)
    t.zero()
    return t
  }

  public static func zeros(like desc: MemoryDesc) throws -> Tensor {
    let t = try Tensor(desc: desc)
    t.zero()
    return t
  }

  /// The oneDNN memory object over this tensor's storage, created on first use.
  public var memory: dnnl_memory_t {
    if let m = _memory { return m }
    var m: dnnl_memory_t?
    let status = dnnl_memory_create(&m, desc.md, Engine.shared.engine, buffer.pointer)
    precondition(status == dnnl_success, "oneDNN: memory_create failed for \(desc)")
    _memory = m
    return m!
  }

  deinit {
    if let m = _memory { dnnl_memory_destroy(m) }
  }

  /// Number of logical elements.
  public var count: Int { shape.reduce(1, *) }

  /// Whether the layout is the plain row-major one (so `floats` indexes it directly).
  public var isPlain: Bool { desc.tag == plainTag(shape.count) }

  /// Sets every byte, padding included, to zero.
  public func zero() { buffer.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.byteCount) }

  /// Direct access to fp32 storage; only meaningful element by element for plain layouts.
  public var floats: UnsafeMutablePointer<Float> { buffer.pointer.assumingMemoryBound(to: Float.self) }
  public var int32s: UnsafeMutablePointer<Int32> { buffer.pointer.assumingMemoryBound(to: Int32.self) }

  /// This tensor in layout `target`: itself when the layout already matches, else a reordered copy.
  public func reordered(to target: MemoryDesc) throws -> Tensor {
    if desc.isEqual(target) { return self }
    let out = try Tensor(desc: target)
    try reorder(from: self, to: out)
    return out
  }

  /// The plain-layout fp32 copy (or self when already plain fp32).
  public func plain() throws -> Tensor {
    try reordered(to: MemoryDesc(shape, .f32, plainTag(shape.count)))
  }

  /// The values in logical row-major order, as fp32.
  public func toArray() throws -> [Float] {
    if dtype == .s32 {
      return (0..<count).map { Float(int32s[$0]) }
    }
    let p = try plain()
    return Array(UnsafeBufferPointer(start: p.floats, count: count))
  }
}

/// The row-major layout tag for `ndims` dimensions.
public func plainTag(_ ndims: Int) -> dnnl_format_tag_t {
  switch ndims {
  case 1: return dnnl_a
  case 2: return dnnl_ab
  case 3: return dnnl_abc
  case 4: return dnnl_abcd
  case 5: return dnnl_abcde
  default: return dnnl_abcdef
  }
}

/// Copies `src` into `dst`, converting layout and type; both must have the same logical shape.
public func reorder(from src: Tensor, to dst: Tensor) throws {
  guard src.shape == dst.shape else {
    throw TensorError.shapeMismatch(op: "reorder", detail: "\(describe(src.shape)) to \(describe(dst.shape))")
  }
  if src.desc.isEqual(dst.desc) && src.desc.byteSize == src.buffer.byteCount {
    // Same dense layout: a plain copy, without the reorder primitive's per-call overhead.
    dst.buffer.pointer.copyMemory(from: src.buffer.pointer, byteCount: src.buffer.byteCount)
    return
  }
  let p = try reorderPrimitive(src.desc, dst.desc)
  try p.execute([(DNNL_ARG_FROM, src), (DNNL_ARG_TO, dst)])
}

/// A cached reorder between two layouts.
public func reorderPrimitive(_ src: MemoryDesc, _ dst: MemoryDesc) throws -> Primitive {
  try PrimitiveCache.shared.get("reorder|\(src.key)|\(dst.key)") {
    var pd: dnnl_primitive_desc_t?
    let e = Engine.shared.engine
    try check(dnnl_reorder_primitive_desc_create(&pd, src.md, e, dst.md, e, nil), "reorder \(src) -> \(dst)")
    return try Primitive(pd: pd!, what: "reorder")
  }
}

extension Tensor {
  /// A tensor over the same storage with another descriptor of the same byte size (e.g. the
  /// grouped 5-D view [G, O/G, I/G, kh, kw] of PyTorch's 4-D conv weight).
  public convenience init(viewing base: Tensor, as desc: MemoryDesc) throws {
    guard desc.byteSize == base.buffer.byteCount else {
      throw TensorError.shapeMismatch(
        op: "view", detail: "\(base.desc) (\(base.buffer.byteCount) bytes) as \(desc) (\(desc.byteSize) bytes)")
    }
    try self.init(desc: desc, sharing: base.buffer)
  }
}

extension Tensor {
  /// A window of this tensor's storage: `dims` starting at `offsets`, in the same layout (for
  /// blocked layouts the channel range must not split a block; crops here are spatial only).
  public func window(dims: [Int], offsets: [Int]) throws -> Tensor {
    guard dims.count == shape.count, offsets.count == shape.count,
      zip(zip(dims, offsets), shape).allSatisfy({ $0.0 >= 1 && $0.1 >= 0 && $0.0 + $0.1 <= $1 })
    else {
      throw TensorError.shapeMismatch(
        op: "crop", detail: "window \(describe(dims)) at \(describe(offsets)) does not fit in \(describe(shape))")
    }
    var sub: dnnl_memory_desc_t?
    let d = dims.map { dnnl_dim_t($0) }
    let o = offsets.map { dnnl_dim_t($0) }
    try check(dnnl_memory_desc_create_submemory(&sub, desc.md, d, o), "window of \(desc)")
    return try Tensor(desc: MemoryDesc(owning: sub!), sharing: buffer)
  }
}
