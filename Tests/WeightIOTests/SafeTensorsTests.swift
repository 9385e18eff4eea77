
import Foundation
import SeededRandom
@testable import WeightIO
import XCTest

final class SafeTensorsTests: XCTestCase {
  /// Builds a safetensors file byte by byte from a header string and a data buffer, the way the
  /// spec defines it — independent of our writer.
  private func file(header: String, data: [UInt8], pad: Bool = true) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    while pad && headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    return leBytes(UInt64(headerBytes.count)) + headerBytes + data
  }

  func testRoundTripAllDtypesScalarsEmptyAndMetadata() throws {
    let dir = try makeTemporaryDirectory(self)
    let url = dir.appendingPathComponent("model.safetensors")
    let tensors: [String: HostArray] = [
      "conv.weight": HostArray(shape: [2, 1, 2, 2], floats: [1, 2, 3, 4, -1, -2, -3, 0.125]),
      "bn.num_batches_tracked": HostArray(shape: [], int64s: [42]),
      "empty": HostArray(shape: [0, 3], floats: []),
      "half": try HostArray(shape: [3], dtype: .f16, bytes: [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B]),
      "brain": try HostArray(shape: [1], dtype: .bf16, bytes: [0x80, 0x3F]),
      "double": try HostArray(shape: [1], dtype: .f64, bytes: leBytes((3.5 as Double).bitPattern)),
      "int32": try HostArray(shape: [2], dtype: .i32, bytes: leBytes(Int32(-1)) + leBytes(Int32(5))),
      "bytes": try HostArray(shape: [3], dtype: .u8, bytes: [1, 2, 3]),
      "mask": try HostArray(shape: [2], dtype: .bool, bytes: [1, 0]),
      "quote\"and\\slash\nnewline": HostArray(shape: [1], floats: [9]),
    ]
    let metadata = ["format": "pt", "epoch": "3", "note": "tab\there \"quoted\""]
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    let (readTensors, readMetadata) = try SafeTensors.read(contentsOf: url)
    XCTAssertEqual(readTensors, tensors)
    XCTAssertEqual(readMetadata, metadata)

    // Layout promised by the spec and by our writer: the data buffer starts 8-byte aligned,
    // padding is spaces, and no temporary file is left behind.
    let bytes = [UInt8](try Data(contentsOf: url))
    let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    XCTAssertEqual((8 + headerLength) % 8, 0)
    XCTAssertEqual(bytes[8], UInt8(ascii: "{"))
    XCTAssertTrue(
      bytes[8..<(8 + headerLength)].last == UInt8(ascii: "}") || bytes[8 + headerLength - 1] == UInt8(ascii: " "))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])

    // Deterministic: the same tensors give the same bytes.
    XCTAssertEqual(try SafeTensors.encode(tensors, metadata: metadata), bytes)
  }

  func testOverwriteReplacesTheOldFile() throws {
    let url = try makeTemporaryDirectory(self).appendingPathComponent("last.safetensors")
    try SafeTensors.write(["a": HostArray(shape: [1], floats: [1])], to: url)
    try SafeTensors.write(["b": HostArray(shape: [2], floats: [2, 3])], to: url)
    let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
    XCTAssertEqual(tensors, ["b": HostArray(shape: [2], floats: [2, 3])])
    XCTAssertEqual(metadata, [:])
  }

  /// A file laid out as the Python/Rust safetensors library does (metadata first, data ordered
  /// by dtype alignment rather than by name, compact JSON), written by hand here.
  func testReadsHandWrittenFile() throws {
    let header =
      #"{"__metadata__":{"format":"pt"},"bias":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},"#
      + #""weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
    let data =
      leBytes(Float(1)) + leBytes(Float(2)) + leBytes(Float(-0.5)) + leBytes(Float(3)) + [0x00, 0x3C, 0x00, 0xBC]
    let (tensors, metadata) = try SafeTensors.decode(file(header: header, data: data), source: "hand.safetensors")
    XCTAssertEqual(metadata, ["format": "pt"])
    XCTAssertEqual(Set(tensors.keys), ["bias", "weight"])
    XCTAssertEqual(tensors["weight"]?.shape, [2, 2])
    XCTAssertEqual(try tensors["weight"]?.floats(), [1, 2, -0.5, 3])
    XCTAssertEqual(tensors["bias"]?.dtype, .f16)
    XCTAssertEqual(try tensors["bias"]?.floats(), [1, -1])

    // Also the committed fixture file (same content, written by tools/make_pth_fixtures.py).
    let fixture = fixturesDirectory.appendingPathComponent("hand_written.safetensors")
    let fromFile = try SafeTensors.read(contentsOf: fixture)
    XCTAssertEqual(fromFile.tensors, tensors)
    XCTAssertEqual(fromFile.metadata, metadata)
  }

  func testUnpaddedHeaderWithWhitespaceIsAccepted() throws {
    let header = "{ \"x\" : { \"dtype\" : \"I64\", \"shape\" : [ ], \"data_offsets\" : [ 0 , 8 ] } }"
    let (tensors, _) = try SafeTensors.decode(file(header: header, data: leBytes(Int64(-3)), pad: false), source: "x")
    XCTAssertEqual(tensors["x"], HostArray(shape: [], int64s: [-3]))
  }

  // MARK: errors — each names the file and, where there is one, the key

  func testTruncatedFile() {
    assertWeightIOError(
      try SafeTensors.decode([1, 2, 3], source: "short.safetensors"), mentions: ["short.safetensors", "truncated"])
  }

  func testHeaderLengthBeyondFile() {
    let bytes = leBytes(UInt64(1000)) + Array("{}".utf8)
    assertWeightIOError(
      try SafeTensors.decode(bytes, source: "cut.safetensors"), mentions: ["cut.safetensors", "1000", "beyond"])
    let huge = leBytes(UInt64.max) + Array("{}".utf8)
    assertWeightIOError(
      try SafeTensors.decode(huge, source: "huge.safetensors"), mentions: ["huge.safetensors", "beyond"])
  }

  func testBadJSON() {
    assertWeightIOError(
      try SafeTensors.decode(file(header: "{\"a\": [", data: []), source: "bad.safetensors"),
      mentions: ["bad.safetensors", "JSON"])
    assertWeightIOError(
      try SafeTensors.decode(file(header: "[1, 2]", data: []), source: "list.safetensors"),
      mentions: ["list.safetensors"])
    let missingShape = #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: missingShape, data: [0, 0, 0, 0]), source: "m.safetensors"),
      mentions: ["m.safetensors", "'w'", "shape"])
  }

  func testOffsetsOutOfRange() {
    let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: header, data: [0, 0, 0, 0]), source: "r.safetensors"),
      mentions: ["r.safetensors", "'w'", "out of range"])
    let reversed = #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: reversed, data: [0, 0, 0, 0]), source: "r.safetensors"),
      mentions: ["'w'", "out of range"])
    let negative = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: negative, data: [0, 0, 0, 0]), source: "r.safetensors"),
      mentions: ["'w'", "out of range"])
  }

  func testOffsetsNotMatchingShape() {
    let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: header, data: [0, 0, 0, 0]), source: "s.safetensors"),
      mentions: ["s.safetensors", "'w'", "[2]"])
  }

  func testOverlappingOffsets() {
    let header =
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: header, data: [UInt8](repeating: 0, count: 8)), source: "o.safetensors"),
      mentions: ["o.safetensors", "'b'", "overlap", "'a'"])
  }

  func testUnknownDtype() {
    let header = #"{"q":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#
    assertWeightIOError(
      try SafeTensors.decode(file(header: header, data: [0]), source: "d.safetensors"),
      mentions: ["d.safetensors", "'q'", "F8_E4M3"])
  }

  /// Mutated and truncated files: always a result or a WeightIOError, never a crash.
  func testCorruptedBytesNeverCrash() throws {
    let original = try SafeTensors.encode(
      [
        "a": HostArray(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), "b": HostArray(shape: [], int64s: [3]),
      ], metadata: ["k": "v"])
    var generator = SplitMix64(seed: 5)
    for _ in 0..<3000 {
      var bytes = original
      for _ in 0..<2 {
        bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
      }
      bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 8))))
      do { _ = try SafeTensors.decode(bytes, source: "fuzz") } catch {
        XCTAssertTrue(error is WeightIOError, "\(error)")
      }
    }
  }

  func testMissingFile() {
    assertWeightIOError(
      try SafeTensors.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors")),
      mentions: ["/nonexistent/x.safetensors"])
  }

  func testReservedKeyCannotBeWritten() {
    assertWeightIOError(
      try SafeTensors.encode(["__metadata__": HostArray(shape: [1], floats: [1])]), mentions: ["__metadata__"])
  }
}
