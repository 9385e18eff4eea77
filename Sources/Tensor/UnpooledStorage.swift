import CDNNL
import Foundation

extension Tensor {
  /// Storage from the system instead of the pool, returned to it as soon as the tensor goes,
  /// and taking the place of idle pool buffers (`Buffer(unpooledByteCount:)`). For transients
  /// the size of a large weight (the paper's fc6 gradient, 392 MiB): kept idle in the pool,
  /// such a buffer is taken by requests up to 8× smaller (`BufferPool.fit`) and allocated again
  /// beside them; and while it exists, the pool's idle buffers (kept for the early layers'
  /// backward) would add to it. Costs page faults once a step.
  public convenience init(unpooled desc: MemoryDesc) throws {
    try self.init(desc: desc, sharing: Buffer(unpooledByteCount: desc.byteSize))
  }
}

/// Copies the elements in layout `srcDesc` at `src` into layout `dstDesc` at
/// `dst` with oneDNN's reorder (memory that is not a tensor's, e.g. a Swift array).
public func reorderRaw(
  _ src: UnsafeMutableRawPointer, _ srcDesc: MemoryDesc, into dst: UnsafeMutableRawPointer, _ dstDesc: MemoryDesc
) throws {
  let p = try reorderPrimitive(srcDesc, dstDesc)
  var ma: dnnl_memory_t?
  var mb: dnnl_memory_t?
  defer {
    if let ma { dnnl_memory_destroy(ma) }
    if let mb { dnnl_memory_destroy(mb) }
  }
  try check(dnnl_memory_create(&ma, srcDesc.md, Engine.shared.engine, src), "memory for a reorder")
  try check(dnnl_memory_create(&mb, dstDesc.md, Engine.shared.engine, dst), "memory for a reorder")
  var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: ma), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: mb)]
  try check(dnnl_primitive_execute(p.primitive, Engine.shared.stream, 2, &args), "reorder \(srcDesc) -> \(dstDesc)")
  Engine.shared.wait()
}

/// Fresh storage: 64-byte aligned; from 16 MiB on, 2 MiB aligned and marked for transparent
/// huge pages (`MADV_HUGEPAGE`; the kernel's setting here is "madvise"), so that touching it
/// costs one page fault per 2 MiB rather than per 4 KiB. Large buffers are touched afresh every
/// step when they live outside the pool (`Tensor(unpooled:)`) or after the pool returned them
/// to the system: 392 MiB in 4 KiB pages is about 100,000 faults.
func allocateStorage(_ bytes: Int) -> UnsafeMutableRawPointer {
  let huge = 2 << 20
  guard bytes >= 16 << 20 else {
    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: BufferPool.alignment)
  }
  let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge)
  _ = madvise(p, bytes & ~(huge - 1), MADV_HUGEPAGE)
  return p
}
