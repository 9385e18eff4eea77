import Foundation
import ProtoWire
import TensorBoard
import XCTest

/// Our event records against TensorBoard's own writer: tools/make_tensorboard_fixture.py wrote
/// Fixtures/tensorboard/reference.tfevents with tensorboard's EventFileWriter, and events.json
/// with the same events as data. Encoding events.json here must give the very same bytes
/// (framing, both masked CRC-32Cs, every protobuf field).
final class TensorBoardFormatTests: XCTestCase {
  struct Spec: Decodable {
    var file_version_wall_time: Double
    var events: [SpecEvent]
  }
  struct SpecEvent: Decodable {
    var wall_time: Double
    var step: Int64
    var values: [SpecValue]
  }
  struct SpecValue: Decodable {
    var tag: String
    var scalar: Double?
    var image: SpecImage?
  }
  struct SpecImage: Decodable {
    var height: Int
    var width: Int
    var colorspace: Int
    var png_base64: String
  }

  func testRecordsEqualTensorBoardWriterByteForByte() throws {
    let spec = try JSONDecoder().decode(Spec.self, from: Data(fixtureBytes("tensorboard/events.json")))
    var ours = tfRecord(
      Event(
        wallTime: spec.file_version_wall_time, step: 0, .fileVersion("brain.Event:2"),
        sourceWriter: "tensorboard.summary.writer.event_file_writer"
      ).encoded)
    for e in spec.events {
      let values = e.values.map { v -> SummaryValue in
        if let s = v.scalar { return .scalar(v.tag, Float(s)) }
        let i = v.image!
        return SummaryValue(
          tag: v.tag,
          .image(
            height: i.height, width: i.width, colorspace: i.colorspace,
            encoded: [UInt8](Data(base64Encoded: i.png_base64)!)))
      }
      ours += tfRecord(Event(wallTime: e.wall_time, step: e.step, .summary(values)).encoded)
    }
    let reference = try fixtureBytes("tensorboard/reference.tfevents")
    XCTAssertEqual(ours.count, reference.count)
    if let i = zip(ours, reference).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
      XCTFail("first difference at byte \(i) of \(reference.count)")
    }
  }

  /// CRC-32C check values: RFC 3720's "123456789" and 32 zero bytes (B.4), and TensorFlow's
  /// masking of the first (crc32c_test.cc).
  func testCRC32CKnownValues() {
    XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
    XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
    let crc: UInt32 = 0xE306_9283
    XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
  }

  /// The writer's file: named for TensorBoard's glob, starts with the version record, and a
  /// second writer in the same second gets its own file.
  func testEventFileWriterNamesAndFramesItsFile() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try EventFileWriter(directory: dir, wallTime: 1_700_000_000.5, host: "box")
    try a.write(Event(wallTime: 1_700_000_001, step: 3, .summary([.scalar("train/loss", 1.5)])))
    let b = try EventFileWriter(directory: dir, wallTime: 1_700_000_000.5, host: "box")
    XCTAssertEqual((a.path as NSString).lastPathComponent, "events.out.tfevents.1700000000.box")
    XCTAssertEqual((b.path as NSString).lastPathComponent, "events.out.tfevents.1700000000.box.1")
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: a.path)))
    let first = tfRecord(
      Event(wallTime: 1_700_000_000.5, step: 0, .fileVersion("brain.Event:2"), sourceWriter: "swift-fcn").encoded)
    XCTAssertEqual(Array(bytes.prefix(first.count)), first)
    XCTAssertEqual(
      Array(bytes.dropFirst(first.count)),
      tfRecord(Event(wallTime: 1_700_000_001, step: 3, .summary([.scalar("train/loss", 1.5)])).encoded))
  }
}
