
import SeededRandom
@testable import SegMetrics
import XCTest

/// Metrics of small confusion matrices worked out by hand (arithmetic in the comments),
/// with the conventions of the reference FCN `score.py`: rows = ground truth, columns = prediction.
final class HandComputedMetricsTests: XCTestCase {
  private let tolerance = 1e-12

  func testThreeClassesWithIgnoredPixel() throws {
    var m = try ConfusionMatrix(classes: 3, ignoreIndex: 255)
    // pixel:        0  1  2  3  4  5   6  7
    let targets: [Int32] = [0, 0, 0, 1, 1, 2, 255, 2]
    let preds: [Int32] = [0, 0, 1, 1, 2, 2, 1, 0]
    try m.accumulate(predictions: preds, targets: targets)
    // Pixel 6 is ignored. Remaining pairs (gt, pred):
    // (0,0)×2 (0,1)×1 (1,1)×1 (1,2)×1 (2,2)×1 (2,0)×1
    //        pred 0 1 2   t_i
    // gt 0:      2 1 0    3
    // gt 1:      0 1 1    2
    // gt 2:      1 0 1    2
    // p_j:       3 2 2    N = 7, diagonal = 2+1+1 = 4
    XCTAssertEqual(m.counts, [2, 1, 0, 0, 1, 1, 1, 0, 1])
    XCTAssertEqual(m.totalCount, 7)
    XCTAssertEqual(m.groundTruthCounts, [3, 2, 2])
    XCTAssertEqual(m.predictedCounts, [3, 2, 2])
    // pixel accuracy = 4/7
    XCTAssertEqual(m.pixelAccuracy, 4.0 / 7.0, accuracy: tolerance)
    // accuracy_i = n_ii / t_i = 2/3, 1/2, 1/2; mean = (2/3 + 1/2 + 1/2) / 3 = 5/9
    assertEqual(m.perClassAccuracy, [2.0 / 3.0, 0.5, 0.5])
    XCTAssertEqual(m.meanAccuracy, 5.0 / 9.0, accuracy: tolerance)
    // IoU_i = n_ii / (t_i + p_i - n_ii): 2/(3+3-2) = 1/2, 1/(2+2-1) = 1/3, 1/(2+2-1) = 1/3
    // mean IoU = (1/2 + 1/3 + 1/3) / 3 = 7/18
    assertEqual(m.perClassIoU, [0.5, 1.0 / 3.0, 1.0 / 3.0])
    XCTAssertEqual(m.meanIoU, 7.0 / 18.0, accuracy: tolerance)
    // fwIoU = 3/7·1/2 + 2/7·1/3 + 2/7·1/3 = 9/42 + 8/42 = 17/42
    XCTAssertEqual(m.frequencyWeightedIoU, 17.0 / 42.0, accuracy: tolerance)
  }

  func testAbsentClassesAreLeftOutOfTheMeans() throws {
    var m = try ConfusionMatrix(classes: 4)
    // Class 2 is predicted once but never in the ground truth; class 3 appears nowhere.
    let targets: [Int32] = [0, 0, 1, 1, 1, 0]
    let preds: [Int32] = [0, 2, 1, 1, 0, 0]
    try m.accumulate(predictions: preds, targets: targets)
    //        pred 0 1 2 3   t_i
    // gt 0:      2 0 1 0    3
    // gt 1:      1 2 0 0    3
    // gt 2:      0 0 0 0    0
    // gt 3:      0 0 0 0    0
    // p_j:       3 2 1 0    N = 6, diagonal = 4
    XCTAssertEqual(m.counts, [2, 0, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    // pixel accuracy = 4/6
    XCTAssertEqual(m.pixelAccuracy, 4.0 / 6.0, accuracy: tolerance)
    // accuracy: 2/3, 2/3, 0/0 (class 2 absent from gt), 0/0 → mean over two classes = 2/3
    assertEqual(m.perClassAccuracy, [2.0 / 3.0, 2.0 / 3.0, nil, nil])
    XCTAssertEqual(m.meanAccuracy, 2.0 / 3.0, accuracy: tolerance)
    // IoU: 2/(3+3-2) = 1/2, 2/(3+2-2) = 2/3, 0/(0+1-0) = 0 (predicted only: counts, as 0),
    //      0/(0+0-0) undefined (absent from both) → mean over three classes:
    //      (1/2 + 2/3 + 0) / 3 = 7/18
    assertEqual(m.perClassIoU, [0.5, 2.0 / 3.0, 0.0, nil])
    XCTAssertEqual(m.meanIoU, 7.0 / 18.0, accuracy: tolerance)
    // fwIoU = 3/6·1/2 + 3/6·2/3 + 0/6·0 = 1/4 + 1/3 = 7/12
    XCTAssertEqual(m.frequencyWeightedIoU, 7.0 / 12.0, accuracy: tolerance)
  }

  func testAllCorrectScoresOne() throws {
    var m = try ConfusionMatrix(classes: 3)
    let labels: [Int32] = [0, 1, 2, 2, 1, 0, 0]
    try m.accumulate(predictions: labels, targets: labels)
    // Diagonal matrix diag(3, 2, 2): every ratio is n_ii / n_ii = 1.
    XCTAssertEqual(m.counts, [3, 0, 0, 0, 2, 0, 0, 0, 2])
    XCTAssertEqual(m.pixelAccuracy, 1)
    XCTAssertEqual(m.meanAccuracy, 1)
    XCTAssertEqual(m.meanIoU, 1)
    XCTAssertEqual(m.frequencyWeightedIoU, 1, accuracy: tolerance)
    assertEqual(m.perClassIoU, [1, 1, 1])
  }

  func testAllWrongScoresZero() throws {
    var m = try ConfusionMatrix(classes: 2)
    try m.accumulate(predictions: [1, 1, 0, 0], targets: [0, 0, 1, 1])
    //        pred 0 1
    // gt 0:      0 2      t = 2, p = 2, n_ii = 0 for both classes
    // gt 1:      2 0      IoU = 0 / (2+2-0) = 0, accuracy = 0/2 = 0
    XCTAssertEqual(m.counts, [0, 2, 2, 0])
    XCTAssertEqual(m.pixelAccuracy, 0)
    assertEqual(m.perClassAccuracy, [0, 0])
    assertEqual(m.perClassIoU, [0, 0])
    XCTAssertEqual(m.meanAccuracy, 0)
    XCTAssertEqual(m.meanIoU, 0)
    XCTAssertEqual(m.frequencyWeightedIoU, 0)
  }

  func testOnlyIgnoredPixelsLeavesEverythingUndefined() throws {
    var m = try ConfusionMatrix(classes: 2, ignoreIndex: 255)
    // Predictions under an ignored target are never looked at, even out-of-range ones.
    try m.accumulate(predictions: [0, 1, 99], targets: [255, 255, 255])
    XCTAssertEqual(m.totalCount, 0)
    XCTAssertTrue(m.pixelAccuracy.isNaN)
    XCTAssertTrue(m.meanAccuracy.isNaN)
    XCTAssertTrue(m.meanIoU.isNaN)
    XCTAssertTrue(m.frequencyWeightedIoU.isNaN)
    assertEqual(m.perClassIoU, [nil, nil])
    assertEqual(m.perClassAccuracy, [nil, nil])
  }

  /// fwIoU as written in the FCN paper (§5), computed here straight from the counts:
  /// (Σ_k t_k)⁻¹ Σ_i t_i · n_ii / (t_i + Σ_j n_ji − n_ii).
  func testFrequencyWeightedIoUMatchesPaperDefinition() throws {
    let k = 5
    var rng = SplitMix64(seed: 7)
    let counts = (0..<(k * k)).map { i -> Int64 in
      // Leave class 4 absent from the ground truth (row 4 zero) but sometimes predicted.
      i / k == 4 ? 0 : Int64(rng.next() % 50)
    }
    let m = try ConfusionMatrix(classes: k, counts: counts)
    var weighted = 0.0
    var total = 0.0
    for i in 0..<k {
      let t = (0..<k).reduce(0.0) { $0 + Double(counts[i * k + $1]) }
      let p = (0..<k).reduce(0.0) { $0 + Double(counts[$1 * k + i]) }
      let n = Double(counts[i * k + i])
      total += t
      if t > 0 { weighted += t * n / (t + p - n) }
    }
    XCTAssertGreaterThan(total, 0)
    XCTAssertEqual(m.frequencyWeightedIoU, weighted / total, accuracy: tolerance)
    XCTAssertNil(m.perClassAccuracy[4])
  }

  private func assertEqual(
    _ actual: [Double?], _ expected: [Double?], file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(actual.count, expected.count, "length", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
      switch (a, e) {
      case (nil, nil): continue
      case (let a?, let e?):
        XCTAssertEqual(a, e, accuracy: tolerance, "class \(i)", file: file, line: line)
      default:
        XCTFail(
          "class \(i): got \(String(describing: a)), expected \(String(describing: e))",
          file: file, line: line)
      }
    }
  }
}
