/// A dense, C-contiguous (row-major) array on the host, as read from or written to a weight file.
/// Elements are stored as raw little-endian bytes so every file format can hand over its data
/// without conversion; `floats()` / `int64s()` convert on demand.
/// (All supported hosts — x86_64, arm64 — are little-endian, so the bytes are also native order.)
public struct HostArray: Sendable, Equatable {
  public var shape: [Int]
  public var dtype: ElementType
  public var bytes: [UInt8]

  /// Wraps raw bytes; throws if a dimension is negative or the byte count is not
  /// `count * dtype.byteSize`.
  public init(shape: [Int], dtype: ElementType, bytes: [UInt8]) throws {
    guard let count = HostArray.elementCount(of: shape) else {
      throw WeightIOError(file: "<memory>", "invalid shape \(shape) (negative or overflowing)")
    }
    let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow, bytes.count == expected else {
      throw WeightIOError(
        file: "<memory>",
        "shape \(shape) of \(dtype.rawValue) needs \(count) × \(dtype.byteSize) bytes, got \(bytes.count)")
    }
    self.shape = shape
    self.dtype = dtype
    self.bytes = bytes
  }

  /// For readers that have already checked the byte count.
  init(uncheckedShape shape: [Int], dtype: ElementType, bytes: [UInt8]) {
    assert(HostArray.elementCount(of: shape).map { $0 * dtype.byteSize } == bytes.count)
    self.shape = shape
    self.dtype = dtype
    self.bytes = bytes
  }

  /// An f32 array. The number of floats must equal the product of `shape` (a programming error
  /// otherwise, so it traps rather than throws).
  public init(shape: [Int], floats: [Float]) {
    precondition(
      HostArray.elementCount(of: shape) == floats.count,
      "HostArray(shape: \(shape), floats:) got \(floats.count) floats")
    self.shape = shape
    self.dtype = .f32
    self.bytes = floats.withUnsafeBytes { Array($0) }
  }

  /// An i64 array. The number of values must equal the product of `shape`.
  public init(shape: [Int], int64s: [Int64]) {
    precondition(
      HostArray.elementCount(of: shape) == int64s.count,
      "HostArray(shape: \(shape), int64s:) got \(int64s.count) values")
    self.shape = shape
    self.dtype = .i64
    self.bytes = int64s.withUnsafeBytes { Array($0) }
  }

  /// Number of elements: the product of `shape` (1 for a scalar of shape []).
  public var count: Int { shape.reduce(1, *) }

  /// Product of the dimensions, or nil if one is negative or the product overflows.
  static func elementCount(of shape: [Int]) -> Int? {
    var count = 1
    for dim in shape {
      guard dim >= 0 else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow else { return nil }
      count = product
    }
    return count
  }

  /// The elements converted to Float (from any dtype; i64/f64 values may round).
  public func floats() throws -> [Float] {
    switch dtype {
    case .f32: return loadElements(Float.self)
    case .f64: return loadElements(Double.self).map { Float($0) }
    case .f16: return loadElements(UInt16.self).map(HalfPrecision.float(fromF16Bits:))
    case .bf16: return loadElements(UInt16.self).map(HalfPrecision.float(fromBF16Bits:))
    case .i64: return loadElements(Int64.self).map { Float($0) }
    case .i32: return loadElements(Int32.self).map { Float($0) }
    case .u8: return bytes.map { Float($0) }
    case .i8: return bytes.map { Float(Int8(bitPattern: $0)) }
    case .bool: return bytes.map { $0 != 0 ? 1 : 0 }
    }
  }

  /// The elements converted to Int64; only integer and bool dtypes convert (a float array
  /// would silently lose its fractions, so that throws).
  public func int64s() throws -> [Int64] {
    switch dtype {
    case .i64: return loadElements(Int64.self)
    case .i32: return loadElements(Int32.self).map { Int64($0) }
    case .u8: return bytes.map { Int64($0) }
    case .i8: return bytes.map { Int64(Int8(bitPattern: $0)) }
    case .bool: return bytes.map { $0 != 0 ? 1 : 0 }
    case .f32, .f16, .bf16, .f64:
      throw WeightIOError(
        file: "<memory>", "int64s() of a \(dtype.rawValue) array: convert floats with floats() instead")
    }
  }

  /// This array with its elements converted to another floating-point dtype (f32, f16, bf16,
  /// f64), rounding to nearest even. Integer targets throw.
  public func converted(to target: ElementType) throws -> HostArray {
    if target == dtype { return self }
    let values = try floats()
    let newBytes: [UInt8]
    switch target {
    case .f32: newBytes = values.withUnsafeBytes { Array($0) }
    case .f64: newBytes = values.map { Double($0) }.withUnsafeBytes { Array($0) }
    case .f16: newBytes = values.map(HalfPrecision.f16Bits(from:)).withUnsafeBytes { Array($0) }
    case .bf16: newBytes = values.map(HalfPrecision.bf16Bits(from:)).withUnsafeBytes { Array($0) }
    case .i64, .i32, .u8, .i8, .bool:
      throw WeightIOError(file: "<memory>", "converting \(dtype.rawValue) to \(target.rawValue) is not supported")
    }
    return try HostArray(shape: shape, dtype: target, bytes: newBytes)
  }

  /// Reinterprets the bytes as `T` elements (unaligned-safe copy).
  private func loadElements<T>(_: T.Type) -> [T] {
    let n = bytes.count / MemoryLayout<T>.size
    return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        let destination = UnsafeMutableRawBufferPointer(buffer)
        destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * MemoryLayout<T>.size)]))
      }
      initialized = n
    }
  }
}
