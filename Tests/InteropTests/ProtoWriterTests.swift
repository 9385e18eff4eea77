import ProtoWire
import XCTest

/// Hand-computed encodings (protobuf's encoding guide): varints, negative int64 (ten bytes),
/// fixed-width floats, length-delimited strings and nested messages, proto3 defaults left out.
final class ProtoWriterTests: XCTestCase {
  func testVarints() {
    for (value, expected): (UInt64, [UInt8]) in [
      (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (150, [0x96, 0x01]),
      (300, [0xAC, 0x02]), (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ] {
      var w = ProtoWriter()
      w.varint(value)
      XCTAssertEqual(w.bytes, expected, "\(value)")
    }
  }

  func testFields() {
    var w = ProtoWriter()
    w.int(1, 150)  // the guide's example: 08 96 01
    w.int(2, -1)  // int64 -1: ten bytes
    w.int(3, 0)  // proto3 default: nothing
    w.int(4, 0, always: true)
    w.string(2, "testing")  // 12 07 74 65 73 74 69 6e 67
    w.float(5, 1.0)  // 2d 00 00 80 3f
    w.double(6, -2.0)  // 31 + 8 bytes
    w.message(3) { $0.int(1, 150) }  // 1a 03 08 96 01
    w.repeatedInts(8, [1, 2])  // unpacked: 40 01 40 02
    XCTAssertEqual(
      w.bytes,
      [0x08, 0x96, 0x01]
        + [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        + [0x20, 0x00]
        + [0x12, 0x07] + Array("testing".utf8)
        + [0x2D, 0x00, 0x00, 0x80, 0x3F]
        + [0x31, 0, 0, 0, 0, 0, 0, 0, 0xC0]
        + [0x1A, 0x03, 0x08, 0x96, 0x01]
        + [0x40, 0x01, 0x40, 0x02])
  }
}
