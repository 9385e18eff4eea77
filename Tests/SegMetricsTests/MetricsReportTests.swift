import Foundation
import XCTest

@testable import SegMetrics

/// The `Metrics` value, its JSON form and the text table.
final class MetricsReportTests: XCTestCase {
  /// The absent-class example of `HandComputedMetricsTests`: class 2 only predicted, class 3 absent.
  private func absentClassMatrix() throws -> ConfusionMatrix {
    try ConfusionMatrix(classes: 4, counts: [2, 0, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  }

  func testMetricsCopyTheMatrixValues() throws {
    let m = try absentClassMatrix()
    let metrics = try m.metrics(classNames: ["background", "can", "bottle", "paper"])
    XCTAssertEqual(metrics.pixelAccuracy, m.pixelAccuracy)
    XCTAssertEqual(metrics.meanAccuracy, m.meanAccuracy)
    XCTAssertEqual(metrics.meanIoU, m.meanIoU)
    XCTAssertEqual(metrics.fwIoU, m.frequencyWeightedIoU)
    XCTAssertEqual(metrics.perClassIoU, m.perClassIoU)
    XCTAssertEqual(metrics.perClassAccuracy, m.perClassAccuracy)
    XCTAssertEqual(metrics.countedPixels, 6)
    XCTAssertEqual(metrics.classes, 4)
  }

  func testWrongNumberOfClassNamesThrows() throws {
    XCTAssertThrowsError(try absentClassMatrix().metrics(classNames: ["a", "b"])) {
      XCTAssertEqual($0 as? SegMetricsError, .classNameCountMismatch(names: 2, classes: 4))
    }
  }

  func testJSONWritesNullForAbsentClassesAndRoundTrips() throws {
    let metrics = try absentClassMatrix().metrics()
    let data = try metrics.jsonData()
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let iou = try XCTUnwrap(object["perClassIoU"] as? [Any])
    XCTAssertEqual(iou.count, 4)
    XCTAssertTrue(iou[3] is NSNull, "absent class 3 → null")
    XCTAssertEqual(iou[2] as? Double, 0, "predicted-only class 2 → 0")
    let accuracy = try XCTUnwrap(object["perClassAccuracy"] as? [Any])
    XCTAssertTrue(accuracy[2] is NSNull)
    XCTAssertEqual(try XCTUnwrap(object["meanIoU"] as? Double), 7.0 / 18.0, accuracy: 1e-12)
    XCTAssertEqual(try Metrics.decode(json: data), metrics)
  }

  func testJSONOfAnEmptyEvaluationHasNullScalars() throws {
    let metrics = try ConfusionMatrix(classes: 2).metrics()
    let data = try metrics.jsonData()
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    for key in ["pixelAccuracy", "meanAccuracy", "meanIoU", "fwIoU"] {
      XCTAssertTrue(object[key] is NSNull, key)
    }
    let decoded = try Metrics.decode(json: data)
    XCTAssertTrue(decoded.meanIoU.isNaN)
    XCTAssertEqual(decoded, metrics)
  }

  func testConfusionMatrixJSONRoundTripAndValidation() throws {
    let m = try absentClassMatrix()
    let data = try JSONEncoder().encode(m)
    XCTAssertEqual(try JSONDecoder().decode(ConfusionMatrix.self, from: data), m)
    let bad = Data(#"{"classes": 2, "ignoreIndex": 255, "counts": [1, 2, 3]}"#.utf8)
    XCTAssertThrowsError(try JSONDecoder().decode(ConfusionMatrix.self, from: bad)) {
      XCTAssertEqual($0 as? SegMetricsError, .malformedCounts(classes: 2, countsLength: 3))
    }
  }

  func testTableShowsEveryClassWithAlignedColumns() throws {
    let metrics = try absentClassMatrix().metrics(
      classNames: ["background", "can", "bottle", "paper"])
    let expected = """
      class              IoU  accuracy
      0 background    0.5000    0.6667
      1 can           0.6667    0.6667
      2 bottle        0.0000         -
      3 paper              -         -

      pixel accuracy  0.6667
      mean accuracy   0.6667
      mean IoU        0.3889
      fw IoU          0.5833
      (6 pixels scored; "-" = class absent, left out of the means)

      """
    XCTAssertEqual(MetricsTable.format(metrics), expected)
  }

  func testTableWithoutNamesUsesPaddedIndices() throws {
    var m = try ConfusionMatrix(classes: 12)
    try m.accumulate(predictions: [11, 3], targets: [11, 3])
    let table = MetricsTable.format(try m.metrics())
    let rows = table.split(separator: "\n").prefix(13)
    XCTAssertEqual(rows[1], " 0            -         -")
    XCTAssertEqual(rows[12], "11       1.0000    1.0000")
    XCTAssertEqual(Set(rows.map(\.count)).count, 1, "all rows the same width:\n\(table)")
  }
}
