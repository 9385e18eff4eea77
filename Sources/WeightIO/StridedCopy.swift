/// Turns a torch view (storage, offset, sizes, strides) into a dense row-major HostArray.
/// torch.save writes whole storages plus view geometry, so a transposed or sliced tensor, or
/// two tensors sharing one storage, must be gathered element by element. Everything here is
/// checked against the storage size first, because the geometry comes from the file.
enum StridedCopy {
  /// Largest dense result of a view that repeats storage elements (stride 0 or overlapping).
  static let maxRepeatedBytes = 1 << 30

  /// Returns the dense array; throws (naming `source`) if the geometry does not fit the storage.
  static func materialize(
    storageBytes: [UInt8], dtype: ElementType, offset: Int, sizes: [Int], strides fileStrides: [Int], source: String
  ) throws -> HostArray {
    func invalid(_ problem: String) -> WeightIOError { WeightIOError(file: source, problem) }
    let elementSize = dtype.byteSize
    let storageCount = storageBytes.count / elementSize
    guard sizes.count == fileStrides.count else {
      throw invalid("size \(sizes) and stride \(fileStrides) have different ranks")
    }
    // A dimension of size 1 is never stepped along, so its stride (any value in a file) is
    // irrelevant; zero keeps the odometer below from overflowing on it.
    let strides = zip(sizes, fileStrides).map { $0 == 1 ? 0 : $1 }
    guard offset >= 0 else { throw invalid("negative storage offset \(offset)") }
    guard sizes.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
      throw invalid("negative size or stride (size \(sizes), stride \(strides))")
    }
    guard let count = HostArray.elementCount(of: sizes) else {
      throw invalid("size \(sizes) overflows")
    }
    // Overlapping strides (0 in an expanded tensor) can name far more elements than the storage
    // holds: allow that up to maxRepeatedBytes, never an overflowing or absurd allocation.
    let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: elementSize)
    guard !byteOverflow, byteCount <= max(storageBytes.count, maxRepeatedBytes) else {
      throw invalid(
        "view (size \(sizes), stride \(strides)) names \(count) elements of a storage with \(storageCount): more than \(maxRepeatedBytes >> 20) MiB of repeated elements"
      )
    }
    if count == 0 {
      return HostArray(uncheckedShape: sizes, dtype: dtype, bytes: [])
    }
    // The furthest element the view touches must lie inside the storage.
    var last = offset
    for (size, stride) in zip(sizes, strides) {
      let (step, overflow1) = (size - 1).multipliedReportingOverflow(by: stride)
      let (sum, overflow2) = last.addingReportingOverflow(step)
      guard !overflow1, !overflow2 else { throw invalid("view geometry overflows") }
      last = sum
    }
    guard last < storageCount else {
      throw invalid(
        "view (offset \(offset), size \(sizes), stride \(strides)) reaches element \(last) of a storage with \(storageCount) elements"
      )
    }

    if isContiguous(sizes: sizes, strides: strides) {
      if offset == 0 && count == storageCount && storageBytes.count == count * elementSize {
        return HostArray(uncheckedShape: sizes, dtype: dtype, bytes: storageBytes)  // whole storage: no copy
      }
      let begin = offset * elementSize
      return HostArray(
        uncheckedShape: sizes, dtype: dtype, bytes: Array(storageBytes[begin..<(begin + count * elementSize)]))
    }

    // General case: walk the view in row-major order with an odometer over all but the last
    // dimension, copying the last dimension's elements one stride apart.
    var out = [UInt8](repeating: 0, count: byteCount)
    let rank = sizes.count
    let innerSize = sizes[rank - 1]
    let innerStride = strides[rank - 1] * elementSize
    var index = [Int](repeating: 0, count: max(rank - 1, 0))
    storageBytes.withUnsafeBytes { source in
      out.withUnsafeMutableBytes { destination in
        var written = 0
        var base = offset * elementSize
        while written < destination.count {
          var from = base
          for _ in 0..<innerSize {
            for b in 0..<elementSize { destination[written + b] = source[from + b] }
            written += elementSize
            from += innerStride
          }
          // Advance the odometer; `base` follows it.
          var dim = rank - 2
          while dim >= 0 {
            index[dim] += 1
            base += strides[dim] * elementSize
            if index[dim] < sizes[dim] { break }
            base -= strides[dim] * elementSize * sizes[dim]
            index[dim] = 0
            dim -= 1
          }
        }
      }
    }
    return HostArray(uncheckedShape: sizes, dtype: dtype, bytes: out)
  }

  /// Row-major contiguity; dimensions of size 1 may have any stride (torch allows that).
  static func isContiguous(sizes: [Int], strides: [Int]) -> Bool {
    var expected = 1
    for (size, stride) in zip(sizes, strides).reversed() {
      if size != 1 && stride != expected { return false }
      expected *= size
    }
    return true
  }
}
