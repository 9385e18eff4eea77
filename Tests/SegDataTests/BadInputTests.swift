import Foundation
import XCTest

@testable import SegData

/// Each bad input gives a DataError naming the file (and COCO annotation id) and the problem;
/// with skip-bad the loader warns and skips instead.
final class BadInputTests: XCTestCase {
  /// A folder data set (classes.txt: 3 classes) with one good sample and one bad sample named `bad`.
  func folderWithBadSample(image: [UInt8]?, mask: [UInt8]?) throws -> (dir: URL, dataset: FolderDataset) {
    let dir = try makeTempDir(self)
    let fm = FileManager.default
    try fm.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
    try fm.createDirectory(at: dir.appendingPathComponent("masks"), withIntermediateDirectories: true)
    try writeFileBytes(Array("bg\nfg\nedge\n".utf8), to: dir.appendingPathComponent("classes.txt").path)
    try writeFileBytes(
      try encodePNG(gradientImage(width: 8, height: 6)), to: dir.appendingPathComponent("images/good.png").path)
    try writeFileBytes(
      try encodePalettePNG(LabelMap(width: 8, height: 6, fill: 1)),
      to: dir.appendingPathComponent("masks/good.png").path)
    if let image { try writeFileBytes(image, to: dir.appendingPathComponent("images/bad.png").path) }
    if let mask { try writeFileBytes(mask, to: dir.appendingPathComponent("masks/bad.png").path) }
    let ds = try FolderDataset(directory: dir.path, split: nil)
    XCTAssertEqual(ds.sampleID(at: 0), "bad")
    return (dir, ds)
  }

  func goodImage() throws -> [UInt8] { try encodePNG(gradientImage(width: 8, height: 6)) }
  func goodMask() throws -> [UInt8] { try encodePalettePNG(LabelMap(width: 8, height: 6, fill: 2)) }

  func testTruncatedPNGImage() throws {
    let png = try goodImage()
    let ds = try folderWithBadSample(image: Array(png.prefix(png.count - 20)), mask: try goodMask()).dataset
    XCTAssertThrowsDataError(try ds.sample(at: 0), fileContains: "images/bad.png", problemContains: "PNG")
  }

  func testTruncatedJPEGImage() throws {
    let jpg = try encodeJPEG(gradientImage(width: 8, height: 6))
    let ds = try folderWithBadSample(image: Array(jpg.prefix(jpg.count - 30)), mask: try goodMask()).dataset
    XCTAssertThrowsDataError(try ds.sample(at: 0), fileContains: "images/bad.png", problemContains: "JPEG")
  }

  func testNonImageAndEmptyFiles() throws {
    let a = try folderWithBadSample(image: Array("<html>not an image</html>".utf8), mask: try goodMask()).dataset
    XCTAssertThrowsDataError(try a.sample(at: 0), fileContains: "images/bad.png", problemContains: "not a PNG or JPEG")
    let b = try folderWithBadSample(image: [], mask: try goodMask()).dataset
    XCTAssertThrowsDataError(try b.sample(at: 0), fileContains: "images/bad.png", problemContains: "empty")
    let c = try folderWithBadSample(image: try goodImage(), mask: []).dataset
    XCTAssertThrowsDataError(try c.sample(at: 0), fileContains: "masks/bad.png", problemContains: "empty")
  }

  func testMaskSizeDiffersFromImage() throws {
    let ds = try folderWithBadSample(image: try goodImage(), mask: try encodePalettePNG(LabelMap(width: 7, height: 6)))
      .dataset
    XCTAssertThrowsDataError(try ds.sample(at: 0), fileContains: "masks/bad.png", problemContains: "7x6")
  }

  func testMaskValueOutOfRangeButIgnoreIsFine() throws {
    var m = LabelMap(width: 8, height: 6, fill: 255)
    XCTAssertNoThrow(
      try folderWithBadSample(image: try goodImage(), mask: try encodePalettePNG(m)).dataset.sample(at: 0))
    m[5, 2] = 3  // classes.txt has 3 classes: ids 0...2
    let ds = try folderWithBadSample(image: try goodImage(), mask: try encodePalettePNG(m)).dataset
    XCTAssertThrowsDataError(
      try ds.sample(at: 0), fileContains: "masks/bad.png", problemContains: "value 3 at pixel (5, 2)")
  }

  func testMissingMask() throws {
    let ds = try folderWithBadSample(image: try goodImage(), mask: nil).dataset
    XCTAssertThrowsDataError(try ds.sample(at: 0), fileContains: "masks/bad.png", problemContains: "missing mask")
  }

  func testSkipBadThroughTheLoaderAndExport() throws {
    let (dir, ds) = try folderWithBadSample(image: [], mask: try goodMask())
    let log = WarningLog()
    let cfg = LoaderConfig(batchSize: 2, shuffle: false, workers: 2, skipBad: true)
    let stream = DataLoader(dataset: ds, config: cfg, warn: { log.add($0) }).batches(epoch: 0)
    let batch = try XCTUnwrap(try stream.next())
    XCTAssertEqual(batch.ids, ["good"])
    XCTAssertEqual(log.all.count, 1)
    XCTAssertTrue(log.all[0].contains("images/bad.png"))
    // Without skip-bad the same data stops with the error.
    let strict = DataLoader(dataset: ds, config: LoaderConfig(batchSize: 2, shuffle: false, workers: 2)).batches(
      epoch: 0)
    XCTAssertThrowsDataError(try strict.next(), fileContains: "images/bad.png", problemContains: "empty")
    // exportMasks: skips and reports; strict export throws but keeps what it wrote.
    let out = dir.appendingPathComponent("out")
    let report = try exportMasks(dataset: ds, to: out.path, skipBad: true, warn: { log.add($0) })
    XCTAssertEqual(report.written, 1)
    XCTAssertEqual(report.skipped.count, 1)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("good.png").path))
  }

  // MARK: COCO

  func writeCoco(_ json: String, images: [String: RGBImage] = [:]) throws -> String {
    let dir = try makeTempDir(self)
    for (name, img) in images { try writeFileBytes(try encodePNG(img), to: dir.appendingPathComponent(name).path) }
    let path = dir.appendingPathComponent("ann.json").path
    try writeFileBytes(Array(json.utf8), to: path)
    return path
  }

  let header =
    #""images": [{"id": 1, "file_name": "x.png", "width": 4, "height": 3}], "categories": [{"id": 1, "name": "thing"}]"#

  func testCocoJSONThatDoesNotParse() throws {
    let path = try writeCoco("{\"images\": [")
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: path), fileContains: "ann.json", problemContains: "not valid JSON")
  }

  func testCocoMissingFields() throws {
    let noAnns = try writeCoco("{\(header)}")
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: noAnns), fileContains: "ann.json",
      problemContains: "missing field \"annotations\"")
    let noSeg = try writeCoco(#"{\#(header), "annotations": [{"id": 42, "image_id": 1, "category_id": 1}]}"#)
    do {
      _ = try CocoDataset(annotationFile: noSeg)
      XCTFail("expected an error")
    } catch let e as DataError {
      XCTAssertEqual(e.annotationID, 42)
      XCTAssertTrue(e.description.contains("ann.json: annotation 42: missing \"segmentation\""), e.description)
    }
    let noWidth = try writeCoco(#"{"images": [{"id": 1, "file_name": "x.png"}], "categories": [], "annotations": []}"#)
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: noWidth), fileContains: "ann.json", problemContains: "width")
  }

  func testCocoPolygonWithTooFewPointsNamesTheAnnotation() throws {
    let path = try writeCoco(
      #"{\#(header), "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 3, 2]]}]}"#,
      images: ["x.png": gradientImage(width: 4, height: 3)])
    let ds = try CocoDataset(annotationFile: path)  // the file opens; the bad image fails when read
    do {
      _ = try ds.sample(at: 0)
      XCTFail("expected an error")
    } catch let e as DataError {
      XCTAssertEqual(e.annotationID, 7)
      XCTAssertTrue(e.file.hasSuffix("ann.json"))
      XCTAssertTrue(e.problem.contains("2 points"), e.problem)
    }
  }

  func testCocoPolygonFarOutsideTheImageIsRefusedNotRasterized() throws {
    let path = try writeCoco(
      #"{\#(header), "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 900000, 0, 0, 3]]}]}"#,
      images: ["x.png": gradientImage(width: 4, height: 3)])
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: path).sample(at: 0), fileContains: "ann.json", problemContains: "far outside")
  }

  func testCocoImageWithNoFile() throws {
    let path = try writeCoco(#"{\#(header), "annotations": []}"#)
    let ds = try CocoDataset(annotationFile: path)
    XCTAssertThrowsDataError(
      try ds.sample(at: 0), fileContains: "x.png", problemContains: "image file not found (image id 1")
  }

  func testCocoRLEOfWrongSizeAndImageOfWrongSize() throws {
    let rle = try writeCoco(
      #"{\#(header), "annotations": [{"id": 9, "image_id": 1, "category_id": 1, "segmentation": {"size": [5, 5], "counts": [3, 2]}}]}"#,
      images: ["x.png": gradientImage(width: 4, height: 3)])
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: rle).sample(at: 0), fileContains: "ann.json", problemContains: "RLE size 5x5")
    let wrongImage = try writeCoco(
      #"{\#(header), "annotations": []}"#, images: ["x.png": gradientImage(width: 5, height: 3)])
    XCTAssertThrowsDataError(
      try CocoDataset(annotationFile: wrongImage).sample(at: 0), fileContains: "x.png", problemContains: "5x3")
  }
}
