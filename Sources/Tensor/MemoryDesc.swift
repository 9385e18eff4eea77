import CDNNL

/// An owned oneDNN memory descriptor (v3 descriptors are heap objects that must be destroyed).
public final class MemoryDesc: CustomStringConvertible {
  public let md: dnnl_memory_desc_t

  /// Takes ownership of `md`.
  init(owning md: dnnl_memory_desc_t) { self.md = md }

  /// A descriptor with a named layout (`dnnl_nchw`, `dnnl_any`, `dnnl_oihw`, ...).
  public convenience init(_ dims: [Int], _ dtype: DType, _ tag: dnnl_format_tag_t) throws {
    var out: dnnl_memory_desc_t?
    let d = dims.map { dnnl_dim_t($0) }
    try check(
      d.withUnsafeBufferPointer {
        dnnl_memory_desc_create_with_tag(&out, Int32(d.count), $0.baseAddress, dtype.dnnl, tag)
      }, "memory descriptor \(describe(dims)) \(dtype)")
    self.init(owning: out!)
  }

  /// A copy of a descriptor owned by someone else (e.g. one queried from a primitive descriptor).
  public convenience init(cloning other: const_dnnl_memory_desc_t) throws {
    var out: dnnl_memory_desc_t?
    try check(dnnl_memory_desc_clone(&out, other), "clone memory descriptor")
    self.init(owning: out!)
  }

  deinit { dnnl_memory_desc_destroy(md) }

  /// Bytes of storage the layout needs (blocked layouts pad channels to the block size).
  public var byteSize: Int { Int(dnnl_memory_desc_get_size(md)) }

  public var dims: [Int] {
    var n: Int32 = 0
    dnnl_memory_desc_query(md, dnnl_query_ndims_s32, &n)
    var p: UnsafePointer<dnnl_dim_t>?
    withUnsafeMutablePointer(to: &p) { _ = dnnl_memory_desc_query(md, dnnl_query_dims, $0) }
    guard let p else { return [] }
    return (0..<Int(n)).map { Int(p[$0]) }
  }

  public var dtype: dnnl_data_type_t {
    var t = dnnl_data_type_undef
    dnnl_memory_desc_query(md, dnnl_query_data_type, &t)
    return t
  }

  public func isEqual(_ other: MemoryDesc) -> Bool { dnnl_memory_desc_equal(md, other.md) != 0 }

  /// The named layout this descriptor has, if it is one of those the engine uses.
  public var tag: dnnl_format_tag_t? {
    let dims = self.dims
    let candidates: [dnnl_format_tag_t]
    switch dims.count {
    case 1: candidates = [dnnl_a]
    case 2: candidates = [dnnl_ab, dnnl_ba]
    case 4: candidates = [dnnl_nchw, dnnl_nhwc, dnnl_nChw8c, dnnl_nChw16c, dnnl_nChw4c]
    default: candidates = []
    }
    let dt = DType.from(dtype)
    for c in candidates {
      guard let dt, let probe = try? MemoryDesc(dims, dt, c) else { continue }
      if probe.isEqual(self) { return c }
    }
    return nil
  }

  public var description: String {
    let layout = tag.map { String(cString: dnnl_fmt_tag2str($0)) } ?? "blocked"
    return "\(describe(dims)):\(layout)"
  }
}

extension DType {
  static func from(_ t: dnnl_data_type_t) -> DType? {
    switch t {
    case dnnl_f32: return .f32
    case dnnl_bf16: return .bf16
    case dnnl_s32: return .s32
    case dnnl_u8: return .u8
    case dnnl_s8: return .s8
    default: return nil
    }
  }
}
