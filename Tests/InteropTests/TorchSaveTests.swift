import Foundation
import WeightIO
import XCTest

/// `.pth` writing (TorchSave). tools/check_pth.py --fixtures made Fixtures/pth/tiny.pth with
/// `fcn convert tiny.safetensors tiny.pth` and checked that torch.load (weights_only) reads every
/// tensor of it back exactly, dtypes included. Here: today's writer still gives those bytes, our
/// own reader reads them back as the tensors written, and the storages sit on 64-byte bounds.
final class TorchSaveTests: XCTestCase {
  func sortedTiny() throws -> [(String, HostArray)] {
    let (tensors, _) = try SafeTensors.read(contentsOf: fixtures.appendingPathComponent("pth/tiny.safetensors"))
    return tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  func testWriterGivesTheBytesTorchRead() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("tiny.pth")
    try TorchSave.write(try sortedTiny(), to: out)
    let ours = [UInt8](try Data(contentsOf: out))
    let reference = try fixtureBytes("pth/tiny.pth")
    XCTAssertEqual(ours.count, reference.count)
    XCTAssertTrue(
      ours == reference, "the .pth bytes changed: rerun tools/check_pth.py --fixtures to check them with torch")
  }

  func testRoundTripThroughOurReader() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var tensors = try sortedTiny()
    // Larger than one BININT2 (65535 elements) and with a dimension past 255.
    tensors.append(("big", HostArray(shape: [300, 260], floats: (0..<78_000).map { Float($0) * 0.5 - 7 })))
    let out = dir.appendingPathComponent("x.pth")
    try TorchSave.write(tensors, to: out)
    let read = try TorchCheckpoint.loadOrdered(contentsOf: out)
    XCTAssertEqual(read.map(\.0), tensors.map(\.0), "names and order")
    for ((name, a), (_, b)) in zip(tensors, read) {
      XCTAssertEqual(a, b, name)
    }
  }

  func testStoragesAreAlignedTo64Bytes() throws {
    let bytes = try fixtureBytes("pth/tiny.pth")
    var names: [String] = []
    var offset = 0
    // Walk the local headers in order: 30 bytes, the name, the extra field, the data.
    while offset + 30 <= bytes.count, bytes[offset..<offset + 4] == [0x50, 0x4B, 0x03, 0x04] {
      func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
      func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
      let size = u32(offset + 22)
      let nameLength = u16(offset + 26)
      let extraLength = u16(offset + 28)
      let name = String(decoding: bytes[offset + 30..<offset + 30 + nameLength], as: UTF8.self)
      let dataStart = offset + 30 + nameLength + extraLength
      XCTAssertEqual(dataStart % 64, 0, "\(name) starts at \(dataStart)")
      names.append(name)
      offset = dataStart + size
    }
    XCTAssertEqual(
      names, ["archive/data.pkl", "archive/byteorder"] + (0..<8).map { "archive/data/\($0)" } + ["archive/version"])
  }
}
