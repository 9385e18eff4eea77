import Foundation
import XCTest

@testable import WeightIO

/// Expectations come from npy.expected.safetensors and the .npy files themselves, both written
/// by numpy in tools/make_pth_fixtures.py.
final class NumPyTests: XCTestCase {
  private lazy var expected: [String: HostArray] = {
    (try? SafeTensors.read(contentsOf: fixturesDirectory.appendingPathComponent("npy.expected.safetensors")).tensors)
      ?? [:]
  }()

  private func fixture(_ name: String) -> URL { fixturesDirectory.appendingPathComponent(name + ".npy") }

  func testReadsEveryNumpyWrittenFixture() throws {
    XCTAssertEqual(expected.count, 10)
    for (name, array) in expected {
      XCTAssertEqual(try NumPy.read(contentsOf: fixture(name)), array, name)
    }
  }

  func testFortranOrderAndBigEndianAreConverted() throws {
    let fortran = try NumPy.read(contentsOf: fixture("npy_fortran_3x4"))
    XCTAssertEqual(fortran.shape, [3, 4])
    XCTAssertEqual(try fortran.floats(), (0..<12).map(Float.init))  // np.arange(12).reshape(3, 4)
    XCTAssertEqual(try NumPy.read(contentsOf: fixture("npy_bigendian_f4")).floats(), [1.5, -3.25, 1e-3])
  }

  /// Our writer reproduces np.save's bytes exactly for every C-order little-endian fixture.
  func testWriterMatchesNumpyBytes() throws {
    for (name, array) in expected where !name.contains("fortran") && !name.contains("bigendian") {
      let numpyBytes = [UInt8](try Data(contentsOf: fixture(name)))
      XCTAssertEqual(try NumPy.encode(array), numpyBytes, name)
    }
  }

  func testWriteReadRoundTrip() throws {
    let dir = try makeTemporaryDirectory(self)
    let arrays = [
      HostArray(shape: [1, 3, 2, 2], floats: (0..<12).map { Float($0) * 0.5 - 2 }),
      HostArray(shape: [], int64s: [-9]),
      HostArray(shape: [0], floats: []),
      HostArray(shape: [123_456_789_012, 0], floats: []),  // a long first dimension: numpy's padding shrinks
    ]
    for (i, array) in arrays.enumerated() {
      let url = dir.appendingPathComponent("a\(i).npy")
      try NumPy.write(array, to: url)
      XCTAssertEqual(try NumPy.read(contentsOf: url), array)
      let bytes = try Data(contentsOf: url)
      let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      XCTAssertEqual((10 + headerLength) % 64, 0, "data is 64-byte aligned")
    }
  }

  func testManyDimensionsUseVersion2Header() throws {
    // A header longer than 65535 bytes needs format 2.0 (u32 header length).
    let shape = [Int](repeating: 1, count: 30_000)
    let array = HostArray(shape: shape, floats: [4])
    let bytes = try NumPy.encode(array)
    XCTAssertEqual(bytes[6], 2)
    XCTAssertEqual(try NumPy.decode(bytes, source: "v2.npy"), array)
  }

  // MARK: errors

  func testBF16IsRefusedByTheWriter() throws {
    let bf16 = try HostArray(shape: [1], dtype: .bf16, bytes: [0x80, 0x3F])
    assertWeightIOError(try NumPy.encode(bf16, source: "x.npy"), mentions: ["x.npy", "BF16"])
  }

  func testBadFilesAreRefused() throws {
    let good = try NumPy.encode(HostArray(shape: [2], floats: [1, 2]))
    assertWeightIOError(try NumPy.decode(Array("hello".utf8), source: "h.npy"), mentions: ["h.npy", "magic"])
    assertWeightIOError(try NumPy.decode(Array(good.prefix(30)), source: "t.npy"), mentions: ["t.npy", "truncated"])
    assertWeightIOError(
      try NumPy.decode(Array(good.dropLast()), source: "d.npy"), mentions: ["d.npy", "bytes of data"])
    assertWeightIOError(try NumPy.decode(good + [0], source: "d.npy"), mentions: ["d.npy", "bytes of data"])
    var future = good
    future[6] = 9
    assertWeightIOError(try NumPy.decode(future, source: "v.npy"), mentions: ["v.npy", "version 9"])
  }

  func testBadHeadersAreRefused() {
    func file(_ header: String) -> [UInt8] {
      let text = Array((header + "\n").utf8)
      return NumPy.magic + [1, 0] + leBytes(UInt16(text.count)) + text
    }
    assertWeightIOError(
      try NumPy.decode(file("{'descr': '<c8', 'fortran_order': False, 'shape': (), }"), source: "c.npy"),
      mentions: ["c.npy", "<c8"])
    assertWeightIOError(
      try NumPy.decode(file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }"), source: "s.npy"),
      mentions: ["structured"])
    assertWeightIOError(
      try NumPy.decode(file("{'descr': '<f4', 'shape': (), }"), source: "m.npy"), mentions: ["required"])
    assertWeightIOError(
      try NumPy.decode(file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }"), source: "n.npy"),
      mentions: ["shape"])
    assertWeightIOError(
      try NumPy.decode(file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3"), source: "u.npy"),
      mentions: ["shape"])
    assertWeightIOError(try NumPy.decode(file("not a dict"), source: "x.npy"), mentions: ["'{'"])
  }
}
