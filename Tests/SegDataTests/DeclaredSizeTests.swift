import Foundation
import XCTest

@testable import SegData

/// Sizes read from files (PNG/JPEG headers, COCO "width"/"height", polygon outlines) are
/// checked before they reach an allocation: a hostile size is a DataError naming the file,
/// never an abort in the allocator.
final class DeclaredSizeTests: XCTestCase {
  /// A COCO file next to `images/a.png` (8x6), with the image entry's size given as JSON text.
  func writeCoco(width: String, height: String, segmentation: String = "[[0, 0, 4, 0, 4, 4]]") throws -> String {
    let dir = try makeTempDir(self)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
    try writeFileBytes(
      try encodePNG(gradientImage(width: 8, height: 6)), to: dir.appendingPathComponent("images/a.png").path)
    let json = """
      {"images": [{"id": 5, "file_name": "a.png", "width": \(width), "height": \(height)}],
       "categories": [{"id": 1, "name": "thing"}],
       "annotations": [{"id": 70, "image_id": 5, "category_id": 1, "segmentation": \(segmentation)}]}
      """
    let path = dir.appendingPathComponent("ann.json").path
    try writeFileBytes(Array(json.utf8), to: path)
    return path
  }

  /// `"height": 1e12` used to reach `[UInt8](repeating: 0, count: h * w)` and abort.
  func testCocoHugeDeclaredHeightNamesTheJSONAndTheImageID() throws {
    let path = try writeCoco(width: "8", height: "1e12")
    let ds = try CocoDataset(annotationFile: path)
    for read in [{ _ = try ds.labelMap(at: 0) }, { _ = try ds.sample(at: 0) }] {
      XCTAssertThrowsDataError(try read(), fileContains: "ann.json", problemContains: "image id 5")
      XCTAssertThrowsDataError(try read(), fileContains: "ann.json", problemContains: "32768")
    }
  }

  func testCocoTooManyDeclaredPixelsIsRefused() throws {
    let ds = try CocoDataset(annotationFile: try writeCoco(width: "30000", height: "30000"))
    XCTAssertThrowsDataError(try ds.labelMap(at: 0), fileContains: "ann.json", problemContains: "pixels")
  }

  /// export-masks decodes no image, but the header it can read cheaply must agree.
  func testCocoDeclaredSizeIsCheckedAgainstTheImageHeader() throws {
    let ds = try CocoDataset(annotationFile: try writeCoco(width: "8", height: "3000"))
    XCTAssertThrowsDataError(
      try ds.labelMap(at: 0), fileContains: "ann.json", problemContains: "image id 5 declares 8x3000 but its file")
  }

  /// A polygon zig-zagging between far corners made maskApi's ×5 edge walk allocate
  /// gigabytes (4000 points on a 37x29 image: 0.8 GB); its length is now bounded first.
  func testCocoPolygonWithAnAbsurdOutlineIsRefusedBeforeTheWalk() throws {
    let corners = (0..<20_000).flatMap { i -> [Double] in i % 2 == 0 ? [-1030, -1030] : [1030, 1030] }
    let seg = "[[" + corners.map { String(Int($0)) }.joined(separator: ", ") + "]]"
    let ds = try CocoDataset(annotationFile: try writeCoco(width: "8", height: "6", segmentation: seg))
    do {
      _ = try ds.labelMap(at: 0)
      XCTFail("expected an error")
    } catch let e as DataError {
      XCTAssertEqual(e.annotationID, 70)
      XCTAssertTrue(e.file.hasSuffix("ann.json"))
      XCTAssertTrue(e.problem.contains("outline is longer"), e.problem)
    }
  }

  /// Many annotations on one image: painting keeps one label map, not one mask per annotation.
  func testCocoManyAnnotationsPaintLikeOne() throws {
    let path = try writeCoco(width: "8", height: "6")
    var json = try String(contentsOfFile: path, encoding: .utf8)
    let many = (0..<300).map {
      #"{"id": \#(100 + $0), "image_id": 5, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 4]]}"#
    }
    json = json.replacingOccurrences(
      of: #""annotations": ["#, with: #""annotations": ["# + many.joined(separator: ", ") + ", ")
    try writeFileBytes(Array(json.utf8), to: path)
    let one = try CocoDataset(annotationFile: try writeCoco(width: "8", height: "6")).labelMap(at: 0)
    XCTAssertEqual(try CocoDataset(annotationFile: path).labelMap(at: 0), one)
    XCTAssertTrue(one.labels.contains(1))
  }

  /// A PNG whose IHDR (with a valid CRC) claims a size past the limits.
  func testPNGHeaderWithHugeSizeIsRefused() throws {
    let png = try encodePNG(gradientImage(width: 4, height: 3))
    for (w, h, needle) in [(40000, 3, "32768"), (20000, 20000, "pixels")] {
      let name = "huge-\(w)x\(h).png"
      XCTAssertThrowsDataError(
        try decodePNG(withIHDRSize(png, width: w, height: h), name: name), fileContains: name, problemContains: needle)
      XCTAssertThrowsDataError(
        try decodePNGLabels(withIHDRSize(png, width: w, height: h), name: name), fileContains: name,
        problemContains: needle)
    }
  }

  func testJPEGHeaderWithHugeSizeIsRefused() throws {
    var jpeg = try encodeJPEG(gradientImage(width: 16, height: 16))
    let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    // SOF0: marker, length (2), precision (1), height (2), width (2).
    for (offset, value) in [(5, 20000), (7, 20000)] {
      jpeg[sof + offset] = UInt8(value >> 8)
      jpeg[sof + offset + 1] = UInt8(value & 0xFF)
    }
    XCTAssertThrowsDataError(try decodeJPEG(jpeg, name: "big.jpg"), fileContains: "big.jpg", problemContains: "pixels")
  }

  /// The header reader used for the COCO check.
  func testImageHeaderSizeReadsPNGAndJPEG() throws {
    let dir = try makeTempDir(self)
    let png = dir.appendingPathComponent("p.png").path
    let jpg = dir.appendingPathComponent("j.jpg").path
    try writeFileBytes(try encodePNG(gradientImage(width: 7, height: 5)), to: png)
    try writeFileBytes(try encodeJPEG(gradientImage(width: 9, height: 11)), to: jpg)
    XCTAssertEqual(imageHeaderSize(png).map { [$0.width, $0.height] }, [7, 5])
    XCTAssertEqual(imageHeaderSize(jpg).map { [$0.width, $0.height] }, [9, 11])
    XCTAssertNil(imageHeaderSize(dir.appendingPathComponent("missing.png").path))
  }
}

/// The PNG with its IHDR width and height replaced (and the chunk's CRC recomputed).
func withIHDRSize(_ png: [UInt8], width: Int, height: Int) -> [UInt8] {
  var out = png
  for (offset, value) in [(16, width), (20, height)] {
    for i in 0..<4 { out[offset + i] = UInt8((value >> (8 * (3 - i))) & 0xFF) }
  }
  let crc = crc32(out[12..<29])  // chunk type + 13 data bytes
  for i in 0..<4 { out[29 + i] = UInt8((crc >> (8 * UInt32(3 - i))) & 0xFF) }
  return out
}

/// CRC-32 as PNG chunks use it (polynomial 0xEDB88320).
func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  return ~crc
}
