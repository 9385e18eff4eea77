import Foundation

/// The safetensors format (https://github.com/huggingface/safetensors):
///   8 bytes   little-endian u64 N, the header length
///   N bytes   UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
///             "__metadata__": {"k": "v"}} (optional), padded with spaces
///   rest      the byte buffer; offsets are relative to its start
/// Used for our own checkpoints and exports, and for weights from the Hugging Face world.
public enum SafeTensors {
  public typealias Contents = (tensors: [String: HostArray], metadata: [String: String])

  /// The header key that holds string metadata rather than a tensor.
  static let metadataKey = "__metadata__"

  /// Reads a .safetensors file (memory-mapped, so only the tensors are copied).
  public static func read(contentsOf url: URL) throws -> Contents {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw WeightIOError(file: url.path, "cannot read file: \(error.localizedDescription)")
    }
    return try decode(data, source: url.path)
  }

  /// Decodes safetensors bytes; `source` names them in errors.
  public static func decode(_ data: Data, source: String) throws -> Contents {
    try data.withUnsafeBytes { try decode(rawBuffer: $0, source: source) }
  }

  /// Decodes safetensors bytes; `source` names them in errors.
  public static func decode(_ bytes: [UInt8], source: String) throws -> Contents {
    try bytes.withUnsafeBytes { try decode(rawBuffer: $0, source: source) }
  }

  static func decode(rawBuffer raw: UnsafeRawBufferPointer, source: String) throws -> Contents {
    guard raw.count >= 8 else {
      throw WeightIOError(file: source, "truncated: \(raw.count) bytes, need at least 8 for the header length")
    }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(raw[i]) << (8 * UInt64(i)) }
    let available = UInt64(raw.count - 8)
    guard headerLength <= available else {
      throw WeightIOError(
        file: source, "header length \(headerLength) is beyond the end of the file (\(available) bytes after it)")
    }
    let headerEnd = 8 + Int(headerLength)
    let headerBytes = Data(UnsafeRawBufferPointer(rebasing: raw[8..<headerEnd]))

    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: headerBytes)
    } catch let error as WeightIOError {
      throw WeightIOError(file: source, key: error.key, error.problem)
    } catch {
      throw WeightIOError(file: source, "header is not valid safetensors JSON: \(describe(error))")
    }

    let buffer = UnsafeRawBufferPointer(rebasing: raw[headerEnd...])
    var tensors: [String: HostArray] = [:]
    var ranges: [(range: Range<Int>, key: String)] = []
    for (key, entry) in header.tensors {
      guard let dtype = ElementType(rawValue: entry.dtype) else {
        throw WeightIOError(
          file: source, key: key,
          "unknown dtype '\(entry.dtype)' (supported: \(ElementType.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      guard let count = HostArray.elementCount(of: entry.shape) else {
        throw WeightIOError(file: source, key: key, "invalid shape \(entry.shape)")
      }
      guard entry.offsets.count == 2 else {
        throw WeightIOError(file: source, key: key, "data_offsets must have 2 entries, has \(entry.offsets.count)")
      }
      let begin = entry.offsets[0]
      let end = entry.offsets[1]
      guard begin >= 0, begin <= end, end <= buffer.count else {
        throw WeightIOError(
          file: source, key: key,
          "data_offsets [\(begin), \(end)] out of range of the \(buffer.count)-byte data buffer")
      }
      let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard !overflow, end - begin == expected else {
        throw WeightIOError(
          file: source, key: key,
          "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(entry.shape) of \(dtype.rawValue) needs \(count) × \(dtype.byteSize)"
        )
      }
      ranges.append((begin..<end, key))
      let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[begin..<end]))
      tensors[key] = try HostArray(shape: entry.shape, dtype: dtype, bytes: bytes)
    }
    // Tensors must not share bytes: a writer bug or a crafted file could otherwise alias them.
    ranges.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
    var previous: (range: Range<Int>, key: String)?
    for current in ranges where !current.range.isEmpty {
      if let previous, current.range.lowerBound < previous.range.upperBound {
        throw WeightIOError(
          file: source, key: current.key,
          "data_offsets [\(current.range.lowerBound), \(current.range.upperBound)] overlap those of '\(previous.key)' [\(previous.range.lowerBound), \(previous.range.upperBound)]"
        )
      }
      previous = current
    }
    return (tensors, header.metadata)
  }

  /// Writes tensors (and optional string metadata) atomically: temporary file in the same
  /// directory, fsync, rename. Keys are sorted and data laid out in key order, so the same
  /// input always gives the same bytes; the header is padded with spaces to a multiple of 8
  /// bytes so the data buffer is 8-byte aligned, as the spec recommends.
  public static func write(_ tensors: [String: HostArray], metadata: [String: String] = [:], to url: URL) throws {
    try AtomicFile.write(chunks: try encodeChunks(tensors, metadata: metadata, source: url.path), to: url)
  }

  /// The bytes `write` would put in a file.
  public static func encode(
    _ tensors: [String: HostArray], metadata: [String: String] = [:], source: String = "<memory>"
  )
    throws -> [UInt8]
  {
    Array(try encodeChunks(tensors, metadata: metadata, source: source).joined())
  }

  /// The file as pieces: length + header, then each tensor's bytes (shared, not copied).
  static func encodeChunks(_ tensors: [String: HostArray], metadata: [String: String], source: String) throws
    -> [[UInt8]]
  {
    let keys = tensors.keys.sorted()
    var entries: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
      entries.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
    }
    var offset = 0
    for key in keys {
      guard key != metadataKey else {
        throw WeightIOError(file: source, key: key, "a tensor cannot be named '\(metadataKey)'")
      }
      guard let array = tensors[key] else { continue }
      guard array.bytes.count == array.count * array.dtype.byteSize else {
        throw WeightIOError(
          file: source, key: key, "array bytes do not match shape \(array.shape) of \(array.dtype.rawValue)")
      }
      let end = offset + array.bytes.count
      let shape = array.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(jsonString(key)):{\"dtype\":\"\(array.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
      )
      offset = end
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

    let length = UInt64(header.count)
    let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header
    return [prefix] + keys.map { tensors[$0]?.bytes ?? [] }
  }

  /// A JSON string literal with the escapes JSON requires.
  static func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  private static func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): return context.debugDescription
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
    case DecodingError.keyNotFound(let key, let context):
      return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): missing '\(key.stringValue)'"
    default: return "\(error)"
    }
  }

  // MARK: - Header JSON

  struct TensorEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var offsets: [Int]
    enum CodingKeys: String, CodingKey {
      case dtype, shape
      case offsets = "data_offsets"
    }
  }

  /// The header: tensor entries plus the optional `__metadata__` string map.
  struct Header: Decodable {
    var tensors: [String: TensorEntry] = [:]
    var metadata: [String: String] = [:]

    struct AnyKey: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
      let container = try decoder.container(keyedBy: AnyKey.self)
      for key in container.allKeys {
        if key.stringValue == SafeTensors.metadataKey {
          metadata = try container.decode([String: String].self, forKey: key)
          continue
        }
        do {
          tensors[key.stringValue] = try container.decode(TensorEntry.self, forKey: key)
        } catch {
          throw WeightIOError(file: "", key: key.stringValue, "bad header entry: \(SafeTensors.describe(error))")
        }
      }
    }
  }
}
