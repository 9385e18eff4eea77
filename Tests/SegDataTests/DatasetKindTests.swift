import Foundation
import XCTest

@testable import SegData

final class DatasetKindTests: XCTestCase {
  func fixture(_ p: String) -> String { fixturesDir.appendingPathComponent(p).path }

  func testFolderWithSplitsAndClasses() throws {
    let train = try openDataset(spec: "folder:" + fixture("folder"), split: .train)
    XCTAssertEqual(train.classNames, ["background", "red", "blue"])
    XCTAssertEqual((0..<train.count).map(train.sampleID(at:)), ["a", "b"])
    let a = try train.sample(at: 0)
    XCTAssertEqual(a.image.width, 6)
    // Built by the fixture script: value (x + y*w) % 3, with 255 at (0, 0).
    XCTAssertEqual(Array(a.mask.labels[0..<7]), [255, 1, 2, 0, 1, 2, 0])
    let b = try train.sample(at: 1)  // JPEG image, grayscale mask
    XCTAssertEqual(b.mask[3, 1], UInt8((3 + 8) % 3))
    let val = try openDataset(spec: "folder:" + fixture("folder"), split: .val)
    XCTAssertEqual((0..<val.count).map(val.sampleID(at:)), ["c"])
    XCTAssertEqual(try openDataset(spec: "folder:" + fixture("folder"), split: nil).count, 3)
  }

  func testFolderWithoutListsUsesSeededSplitAndInfersClasses() throws {
    let dir = try makeTempDir(self)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("masks"), withIntermediateDirectories: true)
    for i in 0..<20 {
      try writeFileBytes(
        try encodePNG(gradientImage(width: 3, height: 2)), to: dir.appendingPathComponent("images/\(i).png").path)
      try writeFileBytes(
        try encodeGrayPNG(LabelMap(width: 3, height: 2, fill: UInt8(i % 4))),
        to: dir.appendingPathComponent("masks/\(i).png").path)
    }
    let train = try FolderDataset(directory: dir.path, split: .train, seed: 3)
    let val = try FolderDataset(directory: dir.path, split: .val, seed: 3)
    XCTAssertEqual(train.count, 18)
    XCTAssertEqual(val.count, 2)
    XCTAssertTrue(Set(train.imageFiles).isDisjoint(with: val.imageFiles))
    XCTAssertEqual(try FolderDataset(directory: dir.path, split: .val, seed: 3).imageFiles, val.imageFiles)
    XCTAssertEqual(train.classNames.count, 4)  // ids 0...3 found in the masks
  }

  func testVOC() throws {
    let train = try openDataset(spec: "voc:" + fixture("voc"), split: .train)
    XCTAssertEqual(train.classNames.count, 21)
    XCTAssertEqual(train.classNames[15], "person")
    XCTAssertEqual(train.count, 1)
    let s = try train.sample(at: 0)
    XCTAssertEqual(s.id, "2007_000032")
    XCTAssertEqual(s.mask[0, 0], 255)
    XCTAssertEqual(s.mask[1, 1], 0)
    XCTAssertEqual(s.mask[3, 2], 1)
    let val = try VOCDataset(directory: fixture("voc/VOCdevkit/VOC2012"), split: .val)
    XCTAssertEqual(try val.sample(at: 0).mask[3, 2], 15)
  }

  func testCityscapesLabelIDsBecomeTrainIDs() throws {
    let ds = try openDataset(spec: "cityscapes:" + fixture("cityscapes"), split: .train)
    XCTAssertEqual(ds.count, 1)
    XCTAssertEqual(ds.classNames.count, 19)
    let s = try ds.sample(at: 0)
    XCTAssertEqual(s.id, "aachen_000000_000019")
    // labelIds [[7, 8, 26, 33], [0, 5, 24, 23]] → road, sidewalk, car, bicycle / ignore, ignore, person, sky.
    XCTAssertEqual(s.mask.labels, [0, 1, 13, 18, 255, 255, 11, 10])
    XCTAssertEqual(try CityscapesDataset(directory: fixture("cityscapes"), split: nil).count, 2)
  }

  func testSpecParsing() throws {
    XCTAssertEqual(try DatasetSpec.parse("synthetic"), .synthetic(count: 1000))
    XCTAssertEqual(try DatasetSpec.parse("synthetic:64"), .synthetic(count: 64))
    XCTAssertEqual(try DatasetSpec.parse("coco:/d/a:b.json"), .coco("/d/a:b.json"))
    XCTAssertThrowsDataError(
      try DatasetSpec.parse("imagenet:/x"), fileContains: "imagenet:/x", problemContains: "unknown data set kind")
    XCTAssertThrowsDataError(try DatasetSpec.parse("voc"), fileContains: "voc", problemContains: "needs a path")
    XCTAssertThrowsDataError(
      try DatasetSpec.parse("synthetic:-3"), fileContains: "synthetic", problemContains: "positive")
    let val = try openDataset(spec: "synthetic:50", split: .val)
    XCTAssertEqual(val.count, 10)
    XCTAssertNotEqual(
      try val.sample(at: 0).image, try openDataset(spec: "synthetic:50", split: .train).sample(at: 0).image)
  }

  func testExportMasksFromCOCOWritesPNGsThatMatchPycocotools() throws {
    let out = try makeTempDir(self)
    let ds = try openDataset(spec: "coco:" + fixture("coco/annotations.json"), split: nil)
    let report = try exportMasks(dataset: ds, to: out.path)
    XCTAssertEqual(report.written, 4)
    let b = try readLabelMap(out.appendingPathComponent("sub/b.png").path)
    XCTAssertEqual(b, try readLabelMap(fixture("coco/expected/label_sub_b.png")))
    XCTAssertEqual(
      try String(contentsOf: out.appendingPathComponent("classes.txt"), encoding: .utf8),
      "background\npaper\ncan\nbottle\n")
  }
}

final class SubsetTests: XCTestCase {
  func testPrefixAndSubsetViewTheSameSamples() throws {
    let ds = SyntheticShapes(count: 10, width: 16, height: 16, seed: 2)
    XCTAssertEqual(ds.prefix(3).count, 3)
    XCTAssertEqual(ds.prefix(30).count, 10)
    let sub = ds.subset([7, 2, 99])  // out-of-range indices are dropped
    XCTAssertEqual(sub.count, 2)
    XCTAssertEqual(sub.sampleID(at: 0), ds.sampleID(at: 7))
    XCTAssertEqual(try sub.sample(at: 1).image, try ds.sample(at: 2).image)
    XCTAssertEqual(sub.classNames, ds.classNames)
  }
}
