import Foundation
import Inference
import XCTest

/// The two resizes inference relies on, against their references: PyTorch's bilinear
/// F.interpolate(align_corners=False) (TTA undo) and OpenCV's INTER_NEAREST (submission masks),
/// from tools/make_inference_fixtures.py; plus a nearest case checked by hand.
final class ResizeGoldenTests: XCTestCase {
  struct Golden: Decodable {
    struct Bilinear: Decodable {
      var channels: Int
      var src_h: Int, src_w: Int, dst_h: Int, dst_w: Int
      var input: [Double], output: [Double]
    }
    struct Nearest: Decodable {
      var src_h: Int, src_w: Int, dst_h: Int, dst_w: Int
      var input: [Int32], output: [Int32]
    }
    var bilinear: [Bilinear]
    var nearest: [Nearest]
  }

  func golden() throws -> Golden {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/resize_golden.json")
    return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
  }

  func testBilinearMatchesPyTorchInterpolateAlignCornersFalse() throws {
    let cases = try golden().bilinear
    XCTAssertGreaterThanOrEqual(cases.count, 5)
    for g in cases {
      let got = resizeBilinear(
        g.input.map(Float.init), channels: g.channels, from: (g.src_h, g.src_w), to: g.dst_h, g.dst_w)
      XCTAssertEqual(got.count, g.output.count)
      let worst = zip(got, g.output).map { abs(Double($0) - $1) }.max() ?? 0
      XCTAssertLessThan(worst, 1e-5, "\(g.src_h)x\(g.src_w) → \(g.dst_h)x\(g.dst_w): max error \(worst)")
    }
  }

  func testNearestMatchesOpenCVInterNearest() throws {
    for g in try golden().nearest {
      let got = resizeLabelsNearest(g.input, height: g.src_h, width: g.src_w, toHeight: g.dst_h, width: g.dst_w)
      XCTAssertEqual(got, g.output, "\(g.src_h)x\(g.src_w) → \(g.dst_h)x\(g.dst_w)")
    }
  }

  /// 3 rows × 5 columns down to 2 × 3 and up to 5 × 7, indices worked out on paper:
  /// columns 5 → 3: x·(1/(3/5)) = 0, 1.67, 3.33 → 0, 1, 3; rows 3 → 2: 0, 1.5 → 0, 1.
  /// columns 5 → 7: 0, 0.71, 1.43, 2.14, 2.86, 3.57, 4.29 → 0, 0, 1, 2, 2, 3, 4;
  /// rows 3 → 5: 0, 0.6, 1.2, 1.8, 2.4 → 0, 0, 1, 1, 2.
  func testNearestByHandOddSizes() {
    let src: [Int32] = [
      0, 1, 2, 3, 4,
      10, 11, 12, 13, 14,
      20, 21, 22, 23, 24,
    ]
    XCTAssertEqual(resizeLabelsNearest(src, height: 3, width: 5, toHeight: 2, width: 3), [0, 1, 3, 10, 11, 13])
    XCTAssertEqual(
      resizeLabelsNearest(src, height: 3, width: 5, toHeight: 5, width: 7),
      [
        0, 0, 1, 2, 2, 3, 4,
        0, 0, 1, 2, 2, 3, 4,
        10, 10, 11, 12, 12, 13, 14,
        10, 10, 11, 12, 12, 13, 14,
        20, 20, 21, 22, 22, 23, 24,
      ])
    // Where OpenCV's doubles and the exact quotient part: 2 → 98 at x = 49 reads 0, not 1.
    XCTAssertEqual(openCVNearestIndices(destination: 98, source: 2)[49], 0)
    XCTAssertEqual(openCVNearestIndices(destination: 98, source: 2)[50], 1)
  }
}
