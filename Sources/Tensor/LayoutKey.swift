import CDNNL

extension MemoryDesc {
  /// A string that identifies this descriptor exactly (dims, type, strides, inner blocks), used
  /// to key cached primitives: two descriptors with the same key describe the same memory.
  public var key: String {
    func query<T>(_ what: dnnl_query_t, _ initial: T) -> T {
      var v = initial
      dnnl_memory_desc_query(md, what, &v)
      return v
    }
    func dimsArray(_ what: dnnl_query_t, _ n: Int) -> [Int] {
      var p: UnsafePointer<dnnl_dim_t>?
      withUnsafeMutablePointer(to: &p) { _ = dnnl_memory_desc_query(md, what, $0) }
      guard let p else { return [] }
      return (0..<n).map { Int(p[$0]) }
    }
    let n = Int(query(dnnl_query_ndims_s32, Int32(0)))
    let nblks = Int(query(dnnl_query_inner_nblks_s32, Int32(0)))
    let t = query(dnnl_query_data_type, dnnl_data_type_undef)
    let parts = [
      dims.map(String.init).joined(separator: "x"),
      "t\(t.rawValue)",
      "s" + dimsArray(dnnl_query_strides, n).map(String.init).joined(separator: ","),
      "b" + dimsArray(dnnl_query_inner_blks, nblks).map(String.init).joined(separator: ","),
      "i" + dimsArray(dnnl_query_inner_idxs, nblks).map(String.init).joined(separator: ","),
      "o" + dimsArray(dnnl_query_padded_offsets, n).map(String.init).joined(separator: ","),
      "@\(query(dnnl_query_submemory_offset_s64, Int64(0)))",
    ]
    return parts.joined(separator: ":")
  }
}
