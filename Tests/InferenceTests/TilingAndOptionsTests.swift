import Inference
import XCTest

/// Window layout, blending weights and the --tta grammar.
final class TilingAndOptionsTests: XCTestCase {
  func testWindowsCoverTheImageAndEndAtTheBorder() throws {
    let t = try Tiling(height: 16, width: 20, overlap: 0.25)
    let windows = t.windows(height: 37, width: 45)
    // Rows: stride 16 − 4 = 12 → origins 0, 12, 21 (moved back to end at 37); columns: stride 15 → 0, 15, 25.
    XCTAssertEqual(Set(windows.map(\.y0)), [0, 12, 21])
    XCTAssertEqual(Set(windows.map(\.x0)), [0, 15, 25])
    XCTAssertTrue(windows.allSatisfy { $0.height == 16 && $0.width == 20 })
    var covered = [Int](repeating: 0, count: 37 * 45)
    for w in windows {
      for y in w.y0..<(w.y0 + w.height) { for x in w.x0..<(w.x0 + w.width) { covered[y * 45 + x] += 1 } }
    }
    XCTAssertTrue(covered.allSatisfy { $0 >= 1 }, "every pixel is in a window")
  }

  func testOneWindowWhenTheTileCoversTheImage() throws {
    let t = try Tiling(height: 64, width: 64, overlap: 0.5)
    XCTAssertEqual(t.windows(height: 37, width: 45), [PixelWindow(y0: 0, x0: 0, height: 37, width: 45)])
    // A tile that fits one axis only: one row of windows, each the image's full height.
    let rows = try Tiling(height: 64, width: 20, overlap: 0).windows(height: 37, width: 45)
    XCTAssertEqual(rows.map(\.x0), [0, 20, 25])
    XCTAssertTrue(rows.allSatisfy { $0.height == 37 && $0.y0 == 0 })
  }

  func testGaussianWeightsAreSymmetricPositiveAndPeakInTheMiddle() throws {
    let w = try Tiling(height: 9, width: 8, weighting: .gaussian).weights(height: 9, width: 8)
    XCTAssertEqual(w.count, 72)
    XCTAssertTrue(w.allSatisfy { $0 > 0 })
    for y in 0..<9 {
      for x in 0..<8 {
        XCTAssertEqual(w[y * 8 + x], w[(8 - y) * 8 + (7 - x)], accuracy: 1e-7)
      }
    }
    XCTAssertEqual(w.max(), w[4 * 8 + 3])
    // σ = side/8 = 9/8: the border row is 4 cells from the centre row.
    XCTAssertEqual(Double(w[0 * 8 + 3] / w[4 * 8 + 3]), exp(-16.0 / (2 * 81.0 / 64)), accuracy: 1e-6)
  }

  func testBadTilesAndOverlapsAreRefused() {
    XCTAssertThrowsError(try Tiling(height: 0, width: 4))
    XCTAssertThrowsError(try Tiling(height: 4, width: 4, overlap: 1))
    XCTAssertThrowsError(try Tiling(height: 4, width: 4, overlap: -0.1))
    XCTAssertThrowsError(try Tiling(height: 4, width: 4, overlap: .nan))
  }

  func testTTAGrammar() throws {
    let t = try TestTimeAugmentation(parsing: "hflip,vflip,scales=0.75,1,1.25")
    XCTAssertEqual(t.scales, [0.75, 1, 1.25])
    XCTAssertEqual(t.transforms.count, 9)
    XCTAssertEqual(t.transforms[0], TTATransform(scale: 0.75))
    XCTAssertEqual(t.transforms[1], TTATransform(scale: 0.75, flipX: true))
    XCTAssertEqual(t.transforms[2], TTATransform(scale: 0.75, flipY: true))
    XCTAssertEqual(try TestTimeAugmentation(parsing: "scales=0.5,2,hflip").transforms.count, 4)
    XCTAssertEqual(try TestTimeAugmentation(parsing: "hflip").transforms, [TTATransform(), TTATransform(flipX: true)])
    XCTAssertTrue(try TestTimeAugmentation(parsing: "none").isNone)
    for bad in ["rotate", "scales=", "scales=0", "scales=1,1", "scales=x", "hflip,2", "scales=9", "scales=1,scales=2"] {
      XCTAssertThrowsError(try TestTimeAugmentation(parsing: bad), bad)
    }
    // Scaled sizes round half up, at least 1 pixel.
    XCTAssertEqual(TTATransform(scale: 0.75).size(height: 37, width: 45).height, 28)
    XCTAssertEqual(TTATransform(scale: 0.75).size(height: 37, width: 45).width, 34)
    XCTAssertEqual(TTATransform(scale: 0.05).size(height: 3, width: 3).height, 1)
  }
}
