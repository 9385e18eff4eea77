import Foundation
import XCTest
@testable import SegData

final class SyntheticTests: XCTestCase {
  func testSameSeedSameSamplesDifferentSeedDifferent() throws {
    let a = SyntheticShapes(count: 10, seed: 7), b = SyntheticShapes(count: 10, seed: 7), c = SyntheticShapes(count: 10, seed: 8)
    let s3a = try a.sample(at: 3), s3b = try b.sample(at: 3), s3c = try c.sample(at: 3)
    XCTAssertEqual(s3a.image, s3b.image)
    XCTAssertEqual(s3a.mask, s3b.mask)
    XCTAssertNotEqual(s3a.image, s3c.image)
    XCTAssertNotEqual(try a.sample(at: 3).image, try a.sample(at: 4).image)
  }

  func testSplitMix64KnownValues() {
    // Reference values of SplitMix64 seeded with 0 (from the published C reference implementation).
    var g = SplitMix64(seed: 0)
    XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
    XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
    XCTAssertEqual(g.next(), 0x06C4_5D18_8009_454F)
  }

  func testAllClassesAppearAndThinStructuresExist() throws {
    let ds = SyntheticShapes(count: 200, seed: 0)
    var pixels = [Int](repeating: 0, count: 6)
    for i in 0..<ds.count {
      for v in try ds.sample(at: i).mask.labels { pixels[Int(v)] += 1 }
    }
    for c in 0..<6 { XCTAssertGreaterThan(pixels[c], 1000, "class \(ds.classNames[c]) should be common") }
    // Lines and rings are thin: they cover far fewer pixels than circles and rectangles.
    XCTAssertLessThan(pixels[5], pixels[2] / 2)
    XCTAssertLessThan(pixels[4], pixels[1])
  }

  func testShapeGeometryAtPixelCentres() {
    let disc = Shape.disc(cx: 5, cy: 5, r: 2)
    XCTAssertTrue(disc.contains(5.5, 5.5))
    XCTAssertTrue(disc.contains(6.5, 5.5))  // distance 1.58 ≤ 2
    XCTAssertFalse(disc.contains(7.5, 6.5))  // distance 2.92 > 2
    let ring = Shape.ring(cx: 0, cy: 0, rOuter: 5, rInner: 3)
    XCTAssertFalse(ring.contains(0.5, 0.5))
    XCTAssertTrue(ring.contains(4.0, 0.5))
  }

  /// docs/synthetic_samples.png must be what the generator makes now; set
  /// SEGDATA_WRITE_DOCS=1 to regenerate it after changing the generator.
  func testDocsSampleGridIsCurrent() throws {
    let grid = try sampleGrid(SyntheticShapes(count: 16, seed: 0), count: 16, columns: 4, zoom: 2)
    let docs = fixturesDir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/synthetic_samples.png").path
    if ProcessInfo.processInfo.environment["SEGDATA_WRITE_DOCS"] == "1" {
      try FileManager.default.createDirectory(atPath: (docs as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try writeFileBytes(try encodePNG(grid), to: docs)
    }
    XCTAssertEqual(try readImage(docs), grid)
  }
}
