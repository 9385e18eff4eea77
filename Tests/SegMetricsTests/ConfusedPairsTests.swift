import Foundation
import SegMetrics
import XCTest

/// Row-normalised confusion and the most confused pairs, on a matrix worked out by hand.
final class ConfusedPairsTests: XCTestCase {
  //          pred 0   1   2   3
  // gt 0:        50  30  20   0    (100 pixels)
  // gt 1:         5  15   0   0    (20)
  // gt 2:         0   0   0   0    (absent from the ground truth)
  // gt 3:         0   2   6   2    (10)
  let matrix = try! ConfusionMatrix(classes: 4, counts: [50, 30, 20, 0, 5, 15, 0, 0, 0, 0, 0, 0, 0, 2, 6, 2])
  let names = ["Background", "Paper", "Paper pack", "Metal"]

  func testRowNormalized() {
    let rows = matrix.rowNormalized
    XCTAssertEqual(rows[0], [0.5, 0.3, 0.2, 0])
    XCTAssertEqual(rows[1], [0.25, 0.75, 0, 0])
    XCTAssertNil(rows[2], "a class without ground-truth pixels has no row")
    XCTAssertEqual(rows[3], [0, 0.2, 0.6, 0.2])
  }

  func testMostConfusedPairsAreOffDiagonalAndRowNormalised() {
    // Off-diagonal shares: 3→2 0.6, 0→1 0.3, 1→0 0.25, 0→2 0.2, 3→1 0.2 (0→2 has more pixels).
    let pairs = matrix.mostConfusedPairs(top: 5)
    XCTAssertEqual(pairs.map { [$0.truth, $0.predicted] }, [[3, 2], [0, 1], [1, 0], [0, 2], [3, 1]])
    XCTAssertEqual(pairs.map(\.pixels), [6, 30, 5, 20, 2])
    XCTAssertEqual(pairs.map(\.fractionOfTruth), [0.6, 0.3, 0.25, 0.2, 0.2])
    XCTAssertEqual(matrix.mostConfusedPairs(top: 2).count, 2)
    XCTAssertEqual(matrix.mostConfusedPairs(top: 100).count, 5, "cells with no pixels are not listed")
    let perfect = try! ConfusionMatrix(classes: 2, counts: [3, 0, 0, 4])
    XCTAssertEqual(perfect.mostConfusedPairs(), [])
    XCTAssertTrue(ConfusedPairsTable.format([], classNames: nil).contains("none"))
  }

  func testTableNamesClassesAndShares() {
    let text = ConfusedPairsTable.format(matrix.mostConfusedPairs(top: 2), classNames: names)
    XCTAssertTrue(text.contains("Metal → Paper pack   60.0% of Metal's pixels (6 px)"), text)
    XCTAssertTrue(text.contains("Background → Paper   30.0% of Background's pixels (30 px)"), text)
    let unnamed = ConfusedPairsTable.format(matrix.mostConfusedPairs(top: 1), classNames: nil)
    XCTAssertTrue(unnamed.contains("class 3 → class 2"), unnamed)
  }

  /// --json: the metrics' keys unchanged (Metrics decodes it), plus the matrix and the pairs.
  func testReportJSON() throws {
    let metrics = try matrix.metrics(classNames: names)
    let data = try EvaluationReport(metrics: metrics, matrix: matrix, top: 3).jsonData()
    XCTAssertEqual(try Metrics.decode(json: data), metrics)
    let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let rows = object["confusionRowNormalized"] as! [Any]
    XCTAssertEqual(rows[1] as? [Double], [0.25, 0.75, 0, 0])
    XCTAssertTrue(rows[2] is NSNull)
    let pairs = object["mostConfused"] as! [[String: Any]]
    XCTAssertEqual(pairs.count, 3)
    XCTAssertEqual(pairs[0]["truthName"] as? String, "Metal")
    XCTAssertEqual(pairs[0]["predictedName"] as? String, "Paper pack")
    XCTAssertEqual(pairs[0]["fractionOfTruth"] as? Double, 0.6)
  }
}
