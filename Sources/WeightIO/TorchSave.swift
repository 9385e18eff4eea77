import Foundation

/// Writes a state_dict as `torch.save` does (PyTorch ≥ 1.6's zip format), so that
/// `model.load_state_dict(torch.load("x.pth"))` works in Python, `weights_only` loading
/// included: `archive/data.pkl` (pickle protocol 2 of an `OrderedDict` name → tensor, each
/// tensor `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())` whose
/// storage is a persistent id `('storage', torch.FloatStorage, '<n>', 'cpu', numel)`),
/// `archive/byteorder` ("little"), one `archive/data/<n>` entry per tensor and
/// `archive/version` ("3"). The pickle uses no memo: every object is written once, and a few
/// repeated GLOBAL opcodes cost less than the bookkeeping.
public enum TorchSave {
  public static func write(_ tensors: [(String, HostArray)], to url: URL) throws {
    var zip = ZipWriter(source: url.path)
    try zip.add("archive/data.pkl", pickle(tensors))
    try zip.add("archive/byteorder", Array("little".utf8))
    for (n, (_, array)) in tensors.enumerated() { try zip.add("archive/data/\(n)", array.bytes) }
    try zip.add("archive/version", Array("3\n".utf8))
    try zip.finish()
    try AtomicFile.write(chunks: zip.chunks, to: url)
  }

  /// PyTorch's storage class for each element type.
  static func storageClass(_ t: ElementType) -> String {
    switch t {
    case .f32: return "FloatStorage"
    case .f16: return "HalfStorage"
    case .bf16: return "BFloat16Storage"
    case .f64: return "DoubleStorage"
    case .i64: return "LongStorage"
    case .i32: return "IntStorage"
    case .u8: return "ByteStorage"
    case .i8: return "CharStorage"
    case .bool: return "BoolStorage"
    }
  }

  static func pickle(_ tensors: [(String, HostArray)]) -> [UInt8] {
    var p = PickleWriter()
    p.op(0x80, 2)  // PROTO 2
    p.global("collections", "OrderedDict")
    p.op(UInt8(ascii: ")"), UInt8(ascii: "R"))  // OrderedDict()
    if !tensors.isEmpty {
      p.op(UInt8(ascii: "("))  // MARK: the items
      for (n, (name, array)) in tensors.enumerated() {
        p.string(name)
        p.global("torch._utils", "_rebuild_tensor_v2")
        p.op(UInt8(ascii: "("))  // MARK: its arguments
        p.op(UInt8(ascii: "("))  // the persistent id tuple
        p.string("storage")
        p.global("torch", storageClass(array.dtype))
        p.string(String(n))
        p.string("cpu")
        p.int(array.count)
        p.op(UInt8(ascii: "t"), UInt8(ascii: "Q"))  // TUPLE, BINPERSID
        p.int(0)  // storage offset
        p.tuple(array.shape)
        p.tuple(contiguousStrides(array.shape))
        p.op(0x89)  // requires_grad = False
        p.global("collections", "OrderedDict")
        p.op(UInt8(ascii: ")"), UInt8(ascii: "R"))  // backward hooks: OrderedDict()
        p.op(UInt8(ascii: "t"), UInt8(ascii: "R"))  // TUPLE, REDUCE
      }
      p.op(UInt8(ascii: "u"))  // SETITEMS
    }
    p.op(UInt8(ascii: "."))  // STOP
    return p.bytes
  }

  /// Row-major strides in elements (PyTorch's for a contiguous tensor).
  static func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = s
      s *= max(shape[i], 1)
    }
    return strides
  }
}

/// The pickle opcodes TorchSave needs (protocol 2).
struct PickleWriter {
  var bytes: [UInt8] = []

  mutating func op(_ codes: UInt8...) { bytes += codes }

  /// GLOBAL 'module\nname\n'.
  mutating func global(_ module: String, _ name: String) {
    bytes.append(UInt8(ascii: "c"))
    bytes += Array("\(module)\n\(name)\n".utf8)
  }

  /// BINUNICODE: 4-byte length, UTF-8.
  mutating func string(_ s: String) {
    let utf8 = Array(s.utf8)
    bytes.append(UInt8(ascii: "X"))
    bytes.le32(UInt32(utf8.count))
    bytes += utf8
  }

  /// BININT1 / BININT2 / BININT, or LONG1 beyond 32 bits.
  mutating func int(_ v: Int) {
    switch v {
    case 0..<256:
      bytes += [UInt8(ascii: "K"), UInt8(v)]
    case 256..<65536:
      bytes.append(UInt8(ascii: "M"))
      bytes.le16(UInt16(v))
    case Int(Int32.min)...Int(Int32.max):
      bytes.append(UInt8(ascii: "J"))
      bytes.le32(UInt32(bitPattern: Int32(v)))
    default:
      // Two's complement little-endian, 8 bytes (enough for any Int).
      bytes += [0x8A, 8]
      for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }
  }

  /// A tuple of ints: EMPTY_TUPLE, or MARK … TUPLE.
  mutating func tuple(_ values: [Int]) {
    if values.isEmpty { return op(UInt8(ascii: ")")) }
    op(UInt8(ascii: "("))
    for v in values { int(v) }
    op(UInt8(ascii: "t"))
  }
}
