import Foundation
import SeededRandom
import XCTest

@testable import WeightIO

/// Every expectation comes from `<name>.expected.safetensors`, written by
/// tools/make_pth_fixtures.py from torch's own contiguous bytes.
final class TorchCheckpointTests: XCTestCase {
  private func fixture(_ name: String) -> URL { fixturesDirectory.appendingPathComponent(name) }

  private func expected(_ name: String) throws -> [(String, HostArray)] {
    let (tensors, metadata) = try SafeTensors.read(contentsOf: fixture(name + ".expected.safetensors"))
    let order = try JSONDecoder().decode([String].self, from: Data((metadata["order"] ?? "").utf8))
    XCTAssertEqual(Set(order), Set(tensors.keys))
    return try order.map { key in
      guard let array = tensors[key] else { throw WeightIOError(file: name, key: key, "missing in expectation") }
      return (key, array)
    }
  }

  private func assertSame(
    _ actual: [(String, HostArray)], _ expected: [(String, HostArray)], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(actual.map(\.0), expected.map(\.0), "keys or their order differ", file: file, line: line)
    for ((key, a), (_, e)) in zip(actual, expected) {
      XCTAssertEqual(a.shape, e.shape, "shape of \(key)", file: file, line: line)
      XCTAssertEqual(a.dtype, e.dtype, "dtype of \(key)", file: file, line: line)
      XCTAssertEqual(a.bytes, e.bytes, "bytes of \(key)", file: file, line: line)
    }
  }

  func testConvBatchNormStateDict() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("conv_bn_state_dict.pth"))
    assertSame(loaded, try expected("conv_bn_state_dict"))
    // The BN counter is an int64 scalar (shape []), and one training step was taken.
    let tracked = try XCTUnwrap(loaded.first { $0.0 == "1.num_batches_tracked" }?.1)
    XCTAssertEqual(tracked.shape, [])
    XCTAssertEqual(try tracked.int64s(), [1])
    XCTAssertEqual(loaded.first { $0.0 == "0.weight" }?.1.shape, [2, 1, 3, 3])
  }

  func testEveryStorageTypeAndParameters() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("dtypes.pth"))
    assertSame(loaded, try expected("dtypes"))
    let dtypes = Dictionary(uniqueKeysWithValues: loaded.map { ($0.0, $0.1.dtype) })
    XCTAssertEqual(dtypes["f16"], .f16)
    XCTAssertEqual(dtypes["bf16"], .bf16)
    XCTAssertEqual(dtypes["i64"], .i64)
    XCTAssertEqual(dtypes["bool"], .bool)
  }

  func testViewsAreMaterialisedContiguously() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("views.pth"))
    assertSame(loaded, try expected("views"))
    let byKey = try TorchCheckpoint.load(contentsOf: fixture("views.pth"))
    XCTAssertEqual(byKey.count, loaded.count)
    XCTAssertEqual(byKey["transposed"]?.shape, [6, 4])
  }

  func testNestedCheckpointGivesTheModelStateDict() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("nested_checkpoint.pth"))
    assertSame(loaded, try expected("nested_checkpoint"))
  }

  func testFlattenedCheckpointHasEveryTensorUnderItsPath() throws {
    let loaded = try TorchCheckpoint.loadFlattened(contentsOf: fixture("nested_checkpoint.pth"))
    assertSame(loaded, try expected("nested_checkpoint_flat"))
    XCTAssertTrue(loaded.contains { $0.0 == "optimizer_state_dict.state.0.momentum_buffer" })
  }

  // MARK: refusals

  /// torch.int8 (CharStorage) was refused until int8 weight files needed it (issue 17); the
  /// fixture, `{"w": torch.zeros(2, dtype=torch.int8)}`, now reads as two s8 zeros.
  func testInt8StorageReadsAsSignedBytes() throws {
    let loaded = try TorchCheckpoint.load(contentsOf: fixture("unsupported_int8.pth"))
    let w = try XCTUnwrap(loaded["w"])
    XCTAssertEqual(w.dtype, .i8)
    XCTAssertEqual(w.shape, [2])
    XCTAssertEqual(w.bytes, [0, 0])
  }

  func testLegacyFormat() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("legacy_format.pth"))
    assertSame(loaded, try expected("legacy_format"))
  }

  func testTruncatedLegacyFilesThrow() throws {
    let bytes = try Data(contentsOf: fixture("legacy_format.pth"))
    let url = try makeTemporaryDirectory(self).appendingPathComponent("cut.pth")
    for length in stride(from: 15, to: bytes.count, by: 37) {
      try bytes.prefix(length).write(to: url)
      XCTAssertThrowsError(try TorchCheckpoint.load(contentsOf: url), "prefix of \(length) bytes") { error in
        XCTAssertTrue(error is WeightIOError, "\(error)")
      }
    }
  }

  /// The legacy format has no checksums, so mutations reach the pickles and the storage table.
  func testCorruptedLegacyBytesNeverCrash() throws {
    let original = [UInt8](try Data(contentsOf: fixture("legacy_format.pth")))
    var generator = SplitMix64(seed: 13)
    var failures = 0
    for _ in 0..<2000 {
      var bytes = original
      for _ in 0..<2 {
        let position = 15 + Int(generator.next() % UInt64(bytes.count - 15))
        bytes[position] = UInt8(truncatingIfNeeded: generator.next())
      }
      do {
        _ = try TorchLegacyFormat.unpickle(bytes, source: "legacy").stateDict()
      } catch {
        XCTAssertTrue(error is WeightIOError, "\(error)")
        failures += 1
      }
    }
    XCTAssertGreaterThan(failures, 0)
  }

  func testOtherFormatsAreNamed() throws {
    assertWeightIOError(
      try TorchCheckpoint.load(contentsOf: fixturesDirectory.appendingPathComponent("npy_u1.npy")),
      mentions: ["npy_u1.npy", "NumPy"])
    let url = try makeTemporaryDirectory(self).appendingPathComponent("text.pth")
    try Data("hello world, not weights".utf8).write(to: url)
    assertWeightIOError(try TorchCheckpoint.load(contentsOf: url), mentions: ["text.pth", "not a PyTorch checkpoint"])
  }

  func testSafetensorsFileIsNotMistakenForACheckpoint() {
    assertWeightIOError(
      try TorchCheckpoint.load(contentsOf: fixture("hand_written.safetensors")),
      mentions: ["hand_written.safetensors", "safetensors"])
  }

  func testMissingFile() {
    assertWeightIOError(
      try TorchCheckpoint.load(contentsOf: URL(fileURLWithPath: "/nonexistent/m.pth")), mentions: ["/nonexistent/m.pth"]
    )
  }

  func testCRC32() {
    XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)  // the standard check value
    XCTAssertEqual(Zlib.crc32([]), 0)
    var generator = SplitMix64(seed: 1)
    for length in [1, 7, 8, 9, 1000, 4099] {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      XCTAssertEqual(Zlib.crc32(bytes), bitwiseCRC32(bytes), "length \(length)")
    }
  }

  /// CRC-32 one bit at a time from the definition (reflected polynomial 0xEDB88320): slow,
  /// short, and independent of zlib's tables.
  func bitwiseCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
      crc ^= UInt32(b)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// A flipped byte inside a deflated entry's data is caught (by zlib or the CRC-32), with an
  /// error naming the file.
  func testDamagedDeflateStreamThrows() throws {
    let url = fixture("conv_bn_state_dict_deflated.pth")
    let original = [UInt8](try Data(contentsOf: url))
    let entry = try XCTUnwrap(try ZipReader(contentsOf: url).entries.first { $0.path.hasSuffix("data/0") })
    XCTAssertEqual(entry.method, 8, "the fixture's storages are deflated")
    let header = Int(entry.localHeaderOffset)
    let nameLength = Int(original[header + 26]) | Int(original[header + 27]) << 8
    let extraLength = Int(original[header + 28]) | Int(original[header + 29]) << 8
    let dataStart = header + 30 + nameLength + extraLength
    var generator = SplitMix64(seed: 21)
    for _ in 0..<50 {
      var bytes = original
      let position = dataStart + Int(generator.next() % entry.compressedSize)
      bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
      let damaged = try makeTemporaryDirectory(self).appendingPathComponent("damaged.pth")
      try Data(bytes).write(to: damaged)
      assertWeightIOError(try TorchCheckpoint.load(contentsOf: damaged), mentions: ["damaged.pth", "data/0"])
    }
  }

  /// A flipped bit inside a stored tensor is caught by the entry's CRC-32.
  func testCorruptedStorageIsDetected() throws {
    var bytes = [UInt8](try Data(contentsOf: fixture("conv_bn_state_dict.pth")))
    let weight = try XCTUnwrap(try expected("conv_bn_state_dict").first { $0.0 == "0.weight" }?.1.bytes)
    let start = try XCTUnwrap(
      (0...(bytes.count - weight.count)).first { bytes[$0..<($0 + weight.count)].elementsEqual(weight) })
    bytes[start + 5] ^= 0x10
    let url = try makeTemporaryDirectory(self).appendingPathComponent("flipped.pth")
    try Data(bytes).write(to: url)
    assertWeightIOError(try TorchCheckpoint.load(contentsOf: url), mentions: ["flipped.pth", "data/0", "checksum"])
  }

  func testDeflatedArchiveLoads() throws {
    let loaded = try TorchCheckpoint.loadOrdered(contentsOf: fixture("conv_bn_state_dict_deflated.pth"))
    assertSame(loaded, try expected("conv_bn_state_dict"))
  }

  /// Central-directory offsets pointing far outside the file (ZIPFoundation's reader, used before, trapped on
  /// such archives) are refused with an error naming the file.
  func testDirectoryOffsetsBeyondTheFileThrow() throws {
    let original = [UInt8](try Data(contentsOf: fixture("conv_bn_state_dict.pth")))
    let url = try makeTemporaryDirectory(self).appendingPathComponent("offsets.pth")
    let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    // Only the entries a load reads (the pickle and the storages); others are never opened.
    let entries = (0...(original.count - 46)).filter { original[$0..<($0 + 4)].elementsEqual(signature) }.filter {
      let nameLength = Int(original[$0 + 28]) | Int(original[$0 + 29]) << 8
      let name = String(decoding: original[($0 + 46)..<($0 + 46 + nameLength)], as: UTF8.self)
      return name.hasSuffix("data.pkl") || name.contains("/data/")
    }
    XCTAssertGreaterThanOrEqual(entries.count, 2)
    for offset in entries {
      for value: UInt32 in [0x7FFF_FFF0, 0xFFFF_FFFE, UInt32(original.count)] {
        var bytes = original
        for i in 0..<4 { bytes[offset + 42 + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        try Data(bytes).write(to: url)
        assertWeightIOError(try TorchCheckpoint.load(contentsOf: url), mentions: ["offsets.pth"])
      }
    }
  }

  /// Every prefix of a real checkpoint must be refused with an error, never a crash.
  func testTruncatedFilesThrow() throws {
    let bytes = try Data(contentsOf: fixture("conv_bn_state_dict.pth"))
    let dir = try makeTemporaryDirectory(self)
    let url = dir.appendingPathComponent("cut.pth")
    for length in stride(from: 0, to: bytes.count, by: 97) {
      try bytes.prefix(length).write(to: url)
      XCTAssertThrowsError(try TorchCheckpoint.load(contentsOf: url), "prefix of \(length) bytes") { error in
        XCTAssertTrue(error is WeightIOError, "\(error)")
      }
    }
  }

  /// Flipping bytes anywhere must give either the same keys or an error — never a crash.
  func testCorruptedBytesNeverCrash() throws {
    let original = [UInt8](try Data(contentsOf: fixture("views.pth")))
    let dir = try makeTemporaryDirectory(self)
    let url = dir.appendingPathComponent("corrupt.pth")
    var generator = SplitMix64(seed: 7)
    for _ in 0..<300 {
      var bytes = original
      for _ in 0..<3 {
        let position = Int(generator.next() % UInt64(bytes.count))
        bytes[position] = UInt8(truncatingIfNeeded: generator.next())
      }
      try Data(bytes).write(to: url)
      do {
        _ = try TorchCheckpoint.loadOrdered(contentsOf: url)
      } catch {
        XCTAssertTrue(error is WeightIOError, "\(error)")
      }
    }
  }
}
