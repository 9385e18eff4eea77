
import Foundation
import SeededRandom
@testable import SegData
import XCTest

final class SyntheticTests: XCTestCase {
  func testSameSeedSameSamplesDifferentSeedDifferent() throws {
    let a = SyntheticShapes(count: 10, seed: 7)
    let b = SyntheticShapes(count: 10, seed: 7)
    let c = SyntheticShapes(count: 10, seed: 8)
    let s3a = try a.sample(at: 3)
    let s3b = try b.sample(at: 3)
    let s3c = try c.sample(at: 3)
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

  func testAllClassesAppearAndRingsAndLinesAreThin() throws {
    let ds = SyntheticShapes(count: 200, seed: 0)
    var pixels = [Int](repeating: 0, count: 6)
    var boundary = [Int](repeating: 0, count: 6)
    for i in 0..<ds.count {
      let m = try ds.sample(at: i).mask
      for y in 0..<m.height {
        for x in 0..<m.width {
          let l = m[x, y]
          pixels[Int(l)] += 1
          // A boundary pixel has a 4-neighbour with another label.
          let nb = [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)].filter {
            $0.0 >= 0 && $0.0 < m.width && $0.1 >= 0 && $0.1 < m.height
          }
          if nb.contains(where: { m[$0.0, $0.1] != l }) { boundary[Int(l)] += 1 }
        }
      }
    }
    for c in 0..<6 { XCTAssertGreaterThan(pixels[c], 1000, "class \(ds.classNames[c]) should be common") }
    let fraction = (0..<6).map { Double(boundary[$0]) / Double(pixels[$0]) }
    // Rings (class 4) and lines (5) are a few pixels wide: far more of their pixels touch an
    // edge than for the solid circles (1) and rectangles (2).
    for thin in [4, 5] {
      for solid in [1, 2] { XCTAssertGreaterThan(fraction[thin], 1.4 * fraction[solid], "\(fraction)") }
    }
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
      try FileManager.default.createDirectory(
        atPath: (docs as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try writeFileBytes(try encodePNG(grid), to: docs)
    }
    XCTAssertEqual(try readImage(docs), grid)
  }
}
