/// The pre-1.6 `torch.save` format (`_use_new_zipfile_serialization=False`), still used by
/// older published weights such as torchvision's original VGG files. It is several pickles in
/// a row, followed by the raw storages:
///   pickle: magic number 0x1950a86a20f9469cfc6c
///   pickle: protocol version 1001
///   pickle: sys_info dict (endianness, type sizes)
///   pickle: the saved object; persistent ids ('storage', type, key, location, numel, view_metadata)
///   pickle: list of storage keys, in the order their data follows
///   for each key: int64 little-endian element count, then count × element-size bytes
/// The storages come after the object that refers to them, so the object's pickle is run twice:
/// once to find where it ends and which storage types it uses, then for real.
enum TorchLegacyFormat {
  /// `pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)`: PROTO 2, LONG1 10 bytes, STOP.
  static let magic: [UInt8] = [
    0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
  ]

  /// Element sizes of every torch storage class, so storages we cannot convert can still be
  /// skipped over (a tensor that uses one fails only if it is asked for).
  static let elementSizes: [String: Int] = [
    "FloatStorage": 4, "DoubleStorage": 8, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
    "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
    "ComplexFloatStorage": 8, "ComplexDoubleStorage": 16, "QInt8Storage": 1, "QUInt8Storage": 1, "QInt32Storage": 4,
  ]

  static func isLegacy(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

  static func unpickle(_ bytes: [UInt8], source: String) throws -> UnpickledCheckpoint {
    guard isLegacy(bytes) else {
      throw WeightIOError(file: source, "not a torch checkpoint: neither a zip archive nor the legacy pickle format")
    }
    // Protocol version and sys_info.
    let (version, _, _, afterVersion) = try PickleMachine.run(
      bytes, from: magic.count, source: source, callbacks: ScanCallbacks())
    guard version == .int(1001) else {
      throw WeightIOError(
        file: source, "legacy torch format with protocol version \(version.kind) \(version), expected 1001")
    }
    let (sysInfo, sysHeap, _, objectStart) = try PickleMachine.run(
      bytes, from: afterVersion, source: source, callbacks: ScanCallbacks())
    if case .dict(let d) = sysInfo, let littleEndian = sysHeap.dicts[d].value(forKey: "little_endian"),
      littleEndian == .bool(false)
    {
      throw WeightIOError(file: source, "saved on a big-endian machine, which is not supported")
    }

    // Dry run of the object to find its end and the type of every storage it refers to.
    let (_, _, scan, objectEnd) = try PickleMachine.run(
      bytes, from: objectStart, source: source, callbacks: ScanCallbacks())
    let (keysValue, keysHeap, _, dataStart) = try PickleMachine.run(
      bytes, from: objectEnd, source: source, callbacks: ScanCallbacks())
    guard let keyValues = keysHeap.sequence(keysValue) else {
      throw WeightIOError(file: source, "legacy storage key list is a \(keysValue.kind)")
    }

    var reader = ByteReader(bytes, source: source, position: dataStart)
    var storages: [String: [UInt8]] = [:]
    for keyValue in keyValues {
      guard case .string(let key) = keyValue else {
        throw WeightIOError(file: source, "legacy storage key is a \(keyValue.kind), not a string")
      }
      guard let typeName = scan.storageTypes[key], let elementSize = elementSizes[typeName] else {
        throw WeightIOError(
          file: source, key: "storage \(key)",
          "storage type \(scan.storageTypes[key] ?? "unknown") has no known element size")
      }
      let count = try reader.readUnsignedLE(8, "element count of storage \(key)")
      let (byteCount, overflow) = count.multipliedReportingOverflow(by: UInt64(elementSize))
      guard !overflow else {
        throw WeightIOError(file: source, key: "storage \(key)", "element count \(count) overflows")
      }
      do {
        storages[key] = Array(try reader.readBytes(byteCount, "data of storage \(key)"))
      } catch let error as WeightIOError {
        throw WeightIOError(file: source, key: "storage \(key)", error.problem)
      }
    }

    return try TorchCheckpoint.unpickle(
      bytes, from: objectStart, source: source, pickleName: "legacy format"
    ) { key in
      guard let data = storages[key] else {
        throw WeightIOError(file: source, key: "storage \(key)", "storage is not in the file's storage list")
      }
      return data
    }
  }

  /// Callbacks that build nothing: they only note the storage type of each persistent id.
  struct ScanCallbacks: PickleCallbacks {
    var storageTypes: [String: String] = [:]

    mutating func persistentLoad(_ id: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
      if let fields = heap.sequence(id), fields.count >= 3, case .global(_, let type) = fields[1],
        case .string(let key) = fields[2]
      {
        storageTypes[key] = type
      }
      return .none
    }
    mutating func call(_ callable: PickleValue, arguments: PickleValue, heap: inout PickleHeap) throws -> PickleValue {
      .object(type: callable.kind)
    }
    mutating func build(_ object: PickleValue, state: PickleValue, heap: inout PickleHeap) throws {}
  }
}
