// ProtoWire: a protocol-buffer wire-format *encoder*, the little that TensorBoard event files
// and ONNX models need. It owns no schema: callers write fields by number (the numbers come
// from the .proto files named at each message, e.g. TensorBoard's event.proto, onnx.proto).
// It imports nothing.
//
// Why hand-written rather than apple/swift-protobuf 1.39.0 (measured 2026-11-27 on the shared
// 2-core machine, load average 14-21, so wall times are noisy and CPU times are the figure to
// read): a clean release build of the SwiftProtobuf library alone took 68.4 s and 74.9 s of
// user CPU (3 min 43 s and 11 min 56 s wall) in two runs, against 149.7 s user CPU (12 min 32 s
// wall) for a clean release build of the whole `fcn` product without it: +46-50 % to every
// clean build and CI run, for 94 files / 28.9k lines of library, plus the generated code for
// onnx.proto and TensorBoard's event/summary protos that would have to be committed (its
// plugin is too slow for CI). We only ever *write* about ten message types and never parse
// one, so the encoder below is all the protobuf swift-fcn needs; its bytes are checked against
// Python protobuf's (TensorBoard's own writer, byte for byte) and by onnx.checker and ONNX
// Runtime reading the exported models.

/// Builds one message's bytes field by field. Fields are written in the order the caller
/// writes them; protobuf's own serialisers write them in field-number order, so callers do too
/// (that makes our bytes equal theirs, which the fixture tests rely on).
public struct ProtoWriter {
  public private(set) var bytes: [UInt8] = []

  public init() {}

  /// Wire types (the low 3 bits of a field key).
  enum WireType: UInt64 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
  }

  mutating func key(_ field: Int, _ type: WireType) {
    precondition(field >= 1 && field < 1 << 29, "protobuf field number \(field) out of range")
    varint(UInt64(field) << 3 | type.rawValue)
  }

  /// Base-128 varint, least significant group first.
  public mutating func varint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  // MARK: Fields. proto3 leaves a scalar at its default (0, "", empty) out; a field with
  // presence (proto2 `optional`, a oneof member) is written whatever its value: `always`.

  /// int32/int64/uint64/enum/bool as a varint (negative numbers take 10 bytes, as protobuf's).
  public mutating func int(_ field: Int, _ value: Int64, always: Bool = false) {
    guard always || value != 0 else { return }
    key(field, .varint)
    varint(UInt64(bitPattern: value))
  }

  public mutating func int(_ field: Int, _ value: Int, always: Bool = false) {
    int(field, Int64(value), always: always)
  }

  /// `double`: 8 bytes little-endian.
  public mutating func double(_ field: Int, _ value: Double, always: Bool = false) {
    guard always || value.bitPattern != 0 else { return }
    key(field, .fixed64)
    littleEndian(value.bitPattern, count: 8)
  }

  /// `float`: 4 bytes little-endian.
  public mutating func float(_ field: Int, _ value: Float, always: Bool = false) {
    guard always || value.bitPattern != 0 else { return }
    key(field, .fixed32)
    littleEndian(UInt64(value.bitPattern), count: 4)
  }

  /// `string` (UTF-8).
  public mutating func string(_ field: Int, _ value: String, always: Bool = false) {
    byteString(field, Array(value.utf8), always: always)
  }

  /// `bytes`.
  public mutating func byteString(_ field: Int, _ value: [UInt8], always: Bool = false) {
    guard always || !value.isEmpty else { return }
    key(field, .lengthDelimited)
    varint(UInt64(value.count))
    bytes += value
  }

  /// An embedded message, written by `body` into its own writer. Always written (a message
  /// field has presence even when empty).
  public mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
    var inner = ProtoWriter()
    body(&inner)
    byteString(field, inner.bytes, always: true)
  }

  /// A repeated int64 field written unpacked (one key per element), as proto2 files such as
  /// onnx.proto declare them.
  public mutating func repeatedInts(_ field: Int, _ values: [Int64]) {
    for v in values { int(field, v, always: true) }
  }

  private mutating func littleEndian(_ value: UInt64, count: Int) {
    for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
  }
}
