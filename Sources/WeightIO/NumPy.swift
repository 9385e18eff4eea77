import Foundation

/// NumPy's `.npy` format (numpy.lib.format): magic `\x93NUMPY`, version, a little-endian header
/// length, a Python-literal header dict {'descr', 'fortran_order', 'shape'} padded with spaces
/// and a newline to a multiple of 64 bytes, then the raw data. Used for `predict --save-logits`
/// and for exchanging arrays with Python tools. The writer reproduces numpy's own bytes
/// (version 1.0, C order, numpy's padding), so files compare equal to `np.save` output.
public enum NumPy {
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
  /// numpy aligns the data to 64 bytes (numpy.lib.format.ARRAY_ALIGN).
  static let alignment = 64
  /// numpy leaves room after the header for the first dimension to grow to 21 digits
  /// (numpy.lib.format.GROWTH_AXIS_MAX_DIGITS), so a file can be appended to in place.
  static let growthAxisMaxDigits = 21

  /// The `descr` string numpy uses for each element type; bf16 has none.
  static func descriptor(_ dtype: ElementType) -> String? {
    switch dtype {
    case .f32: return "<f4"
    case .f16: return "<f2"
    case .f64: return "<f8"
    case .i64: return "<i8"
    case .i32: return "<i4"
    case .u8: return "|u1"
    case .i8: return "|i1"
    case .bool: return "|b1"
    case .bf16: return nil
    }
  }

  /// Writes `a` as a C-order .npy file, atomically (temp file, fsync, rename).
  public static func write(_ a: HostArray, to url: URL) throws {
    try AtomicFile.write(chunks: [try header(for: a, source: url.path), a.bytes], to: url)
  }

  /// The bytes `write` would put in a file.
  public static func encode(_ a: HostArray, source: String = "<memory>") throws -> [UInt8] {
    try header(for: a, source: source) + a.bytes
  }

  /// Magic, version, header length and the padded header dict: everything before the data.
  static func header(for a: HostArray, source: String) throws -> [UInt8] {
    guard a.bytes.count == a.count * a.dtype.byteSize else {
      throw WeightIOError(file: source, "array bytes do not match shape \(a.shape) of \(a.dtype.rawValue)")
    }
    return try header(shape: a.shape, dtype: a.dtype, source: source)
  }

  /// The bytes before the data of a C-order array of `shape` and `dtype`: for writers that
  /// stream the data after it. Their length does not depend on the first dimension (numpy's
  /// growth padding), so a streamed file's header can be rewritten in place with the final count.
  public static func header(shape: [Int], dtype: ElementType, source: String) throws -> [UInt8] {
    guard let descr = descriptor(dtype) else {
      throw WeightIOError(file: source, "numpy has no \(dtype.rawValue) type; convert the array to F32 first")
    }
    let a = (shape: shape, dtype: dtype)
    let shape: String
    switch a.shape.count {
    case 0: shape = "()"
    case 1: shape = "(\(a.shape[0]),)"
    default: shape = "(" + a.shape.map(String.init).joined(separator: ", ") + ")"
    }
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    if let first = a.shape.first {
      header += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
    }
    // numpy's _wrap_header: header + padding spaces + "\n", the whole prefix a multiple of 64.
    var headerBytes = Array(header.utf8)
    var version: UInt8 = 1
    var lengthFieldSize = 2
    var padding = alignment - (magic.count + 2 + lengthFieldSize + headerBytes.count + 1) % alignment
    if headerBytes.count + 1 + padding > Int(UInt16.max) {
      version = 2
      lengthFieldSize = 4
      padding = alignment - (magic.count + 2 + lengthFieldSize + headerBytes.count + 1) % alignment
    }
    headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: padding) + [UInt8(ascii: "\n")]

    var out = magic + [version, 0]
    let length = UInt32(headerBytes.count)
    for i in 0..<lengthFieldSize { out.append(UInt8(truncatingIfNeeded: length >> (8 * UInt32(i)))) }
    out += headerBytes
    return out
  }

  /// Reads a .npy file (versions 1.0, 2.0, 3.0; little- or big-endian; C or Fortran order).
  public static func read(contentsOf url: URL) throws -> HostArray {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw WeightIOError(file: url.path, "cannot read file: \(error.localizedDescription)")
    }
    return try decode([UInt8](data), source: url.path)
  }

  /// Decodes .npy bytes; `source` names them in errors.
  public static func decode(_ bytes: [UInt8], source: String) throws -> HostArray {
    var reader = ByteReader(bytes, source: source)
    guard bytes.starts(with: magic) else {
      throw WeightIOError(file: source, "not a .npy file (no \\x93NUMPY magic)")
    }
    _ = try reader.readBytes(UInt64(magic.count), "magic")
    let major = try reader.readByte("version")
    _ = try reader.readByte("version")
    let headerLength: UInt64
    switch major {
    case 1: headerLength = try reader.readUnsignedLE(2, "header length")
    case 2, 3: headerLength = try reader.readUnsignedLE(4, "header length")
    default: throw WeightIOError(file: source, ".npy format version \(major) is not supported")
    }
    let headerBytes = try reader.readBytes(headerLength, "header")
    // Version 1/2 headers are latin-1, version 3 UTF-8; all real headers are ASCII.
    let header = try NumPyHeader.parse(String(decoding: headerBytes, as: UTF8.self), source: source)

    guard let count = HostArray.elementCount(of: header.shape) else {
      throw WeightIOError(file: source, "invalid shape \(header.shape)")
    }
    let elementSize = header.dtype.byteSize
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
    guard !overflow, byteCount == reader.remaining else {
      throw WeightIOError(
        file: source,
        "shape \(header.shape) of '\(header.descr)' needs \(count) × \(elementSize) bytes of data, the file has \(reader.remaining)"
      )
    }
    var data = Array(try reader.readBytes(UInt64(byteCount), "data"))
    if header.bigEndian && elementSize > 1 {
      for start in stride(from: 0, to: data.count, by: elementSize) {
        data[start..<(start + elementSize)].reverse()
      }
    }
    if header.fortranOrder && header.shape.count > 1 {
      // Fortran order is C order of the reversed shape: gather it with column-major strides.
      var strides = [Int](repeating: 1, count: header.shape.count)
      for i in 1..<header.shape.count { strides[i] = strides[i - 1] * header.shape[i - 1] }
      return try StridedCopy.materialize(
        storageBytes: data, dtype: header.dtype, offset: 0, sizes: header.shape, strides: strides, source: source)
    }
    return HostArray(uncheckedShape: header.shape, dtype: header.dtype, bytes: data)
  }
}

/// The header dict of a .npy file, parsed from its Python-literal text without evaluating it.
struct NumPyHeader {
  var descr: String
  var dtype: ElementType
  var bigEndian: Bool
  var fortranOrder: Bool
  var shape: [Int]

  /// numpy type codes (without the byte-order character) and our element types.
  static let typeCodes: [String: ElementType] = [
    "f4": .f32, "f2": .f16, "f8": .f64, "i8": .i64, "i4": .i32, "u1": .u8, "i1": .i8, "b1": .bool,
  ]

  static func parse(_ text: String, source: String) throws -> NumPyHeader {
    func bad(_ problem: String) -> WeightIOError {
      WeightIOError(
        file: source, key: "npy header", "\(problem) in \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
    var scanner = LiteralScanner(Array(text.unicodeScalars))
    var descr: String?
    var fortranOrder: Bool?
    var shape: [Int]?
    try scanner.expect("{", orThrow: bad("expected '{'"))
    while !scanner.consume("}") {
      guard let key = scanner.string() else { throw bad("expected a quoted key") }
      try scanner.expect(":", orThrow: bad("expected ':' after '\(key)'"))
      switch key {
      case "descr":
        guard let value = scanner.string() else {
          throw bad("'descr' must be a string (structured dtypes are not supported)")
        }
        descr = value
      case "fortran_order":
        if scanner.consumeWord("True") {
          fortranOrder = true
        } else if scanner.consumeWord("False") {
          fortranOrder = false
        } else {
          throw bad("'fortran_order' must be True or False")
        }
      case "shape":
        guard let value = scanner.intTuple() else { throw bad("'shape' must be a tuple of integers") }
        shape = value
      default:
        throw bad("unexpected key '\(key)'")
      }
      if !scanner.consume(",") {
        try scanner.expect("}", orThrow: bad("expected ',' or '}'"))
        break
      }
    }
    guard let descr, let fortranOrder, let shape else { throw bad("'descr', 'fortran_order' and 'shape' are required") }
    var code = Substring(descr)
    var bigEndian = false
    if let order = code.first, "<>|=".contains(order) {
      bigEndian = order == ">"
      code = code.dropFirst()
    }
    guard let dtype = typeCodes[String(code)] else {
      throw WeightIOError(
        file: source, key: "npy header",
        "dtype '\(descr)' is not supported (supported: \(typeCodes.keys.sorted().joined(separator: ", ")))")
    }
    return NumPyHeader(descr: descr, dtype: dtype, bigEndian: bigEndian, fortranOrder: fortranOrder, shape: shape)
  }
}

/// Just enough of a Python literal scanner for .npy headers: quoted strings, words, integer tuples.
private struct LiteralScanner {
  let scalars: [Unicode.Scalar]
  var position = 0

  init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

  private mutating func skipSpace() {
    while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
  }

  mutating func consume(_ c: Unicode.Scalar) -> Bool {
    skipSpace()
    guard position < scalars.count, scalars[position] == c else { return false }
    position += 1
    return true
  }

  mutating func expect(_ c: Unicode.Scalar, orThrow error: @autoclosure () -> Error) throws {
    guard consume(c) else { throw error() }
  }

  mutating func consumeWord(_ word: String) -> Bool {
    skipSpace()
    let w = Array(word.unicodeScalars)
    guard position + w.count <= scalars.count, Array(scalars[position..<(position + w.count)]) == w else {
      return false
    }
    position += w.count
    return true
  }

  /// A '...' or "..." string (no escapes: numpy never writes any in these fields).
  mutating func string() -> String? {
    skipSpace()
    guard position < scalars.count, scalars[position] == "'" || scalars[position] == "\"" else { return nil }
    let quote = scalars[position]
    var end = position + 1
    while end < scalars.count, scalars[end] != quote { end += 1 }
    guard end < scalars.count else { return nil }
    let value = String(String.UnicodeScalarView(scalars[(position + 1)..<end]))
    position = end + 1
    return value
  }

  mutating func int() -> Int? {
    skipSpace()
    var end = position
    while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
    guard end > position, let value = Int(String(String.UnicodeScalarView(scalars[position..<end]))) else { return nil }
    position = end
    // Python 2 numpy wrote longs as e.g. 3L.
    if position < scalars.count, scalars[position] == "L" { position += 1 }
    return value
  }

  /// (), (n,), (a, b, ...)
  mutating func intTuple() -> [Int]? {
    guard consume("(") else { return nil }
    var values: [Int] = []
    while !consume(")") {
      guard let value = int() else { return nil }
      values.append(value)
      if !consume(",") {
        guard consume(")") else { return nil }
        break
      }
    }
    return values
  }
}
