
import TestSupport
import SeededRandom
@testable import SegMetrics
import XCTest

/// Counting, merging and the errors for bad labels.
final class AccumulationTests: XCTestCase {
  func testMergeOfShardsEqualsAccumulatingAllAtOnce() throws {
    var rng = SplitMix64(seed: 42)
    let n = 10_000
    let targets = rng.labels(n, classes: 6, ignore: 255)
    let preds = rng.labels(n, classes: 6)

    var whole = try ConfusionMatrix(classes: 6)
    try whole.accumulate(predictions: preds, targets: targets)

    // Three uneven shards, as three loader threads would see them.
    var merged = try ConfusionMatrix(classes: 6)
    for range in [0..<1234, 1234..<1235, 1235..<n] {
      var shard = try ConfusionMatrix(classes: 6)
      try shard.accumulate(predictions: Array(preds[range]), targets: Array(targets[range]))
      try merged.merge(shard)
    }
    XCTAssertEqual(merged, whole)
    XCTAssertEqual(merged.totalCount, Int64(targets.filter { $0 != 255 }.count))
    XCTAssertEqual(try merged.merging(whole).counts, whole.counts.map { 2 * $0 })
  }

  func testAccumulatingTwiceAddsUp() throws {
    var m = try ConfusionMatrix(classes: 2)
    try m.accumulate(predictions: [0, 1], targets: [0, 0])
    try m.accumulate(predictions: [1], targets: [1])
    XCTAssertEqual(m.counts, [1, 1, 0, 1])
    m.reset()
    XCTAssertEqual(m.counts, [0, 0, 0, 0])
  }

  func testBufferPointerAndArrayAgree() throws {
    var rng = SplitMix64(seed: 3)
    let targets = rng.labels(777, classes: 4, ignore: 255)
    let preds = rng.labels(777, classes: 4)
    var fromArrays = try ConfusionMatrix(classes: 4)
    try fromArrays.accumulate(predictions: preds, targets: targets)
    var fromPointers = try ConfusionMatrix(classes: 4)
    try preds.withUnsafeBufferPointer { p in
      try targets.withUnsafeBufferPointer { t in
        try fromPointers.accumulate(predictions: p, targets: t)
      }
    }
    XCTAssertEqual(fromPointers, fromArrays)
    XCTAssertEqual(fromArrays.totalCount, Int64(targets.filter { $0 != 255 }.count))
  }

  func testOutOfRangeTargetThrowsNamingValueAndLeavesMatrixUnchanged() throws {
    var m = try ConfusionMatrix(classes: 3)
    try m.accumulate(predictions: [1], targets: [1])
    let before = m
    XCTAssertThrowsError(try m.accumulate(predictions: [0, 1, 2, 0], targets: [0, 255, 1, 7])) {
      XCTAssertEqual($0 as? SegMetricsError, .targetOutOfRange(value: 7, index: 3, classes: 3))
      XCTAssertTrue("\($0)".contains("label 7"), "\($0)")
    }
    XCTAssertEqual(m, before, "pixels 0 and 2 were counted before the error and must be undone")
  }

  func testNegativeTargetThrows() throws {
    var m = try ConfusionMatrix(classes: 3)
    XCTAssertThrowsError(try m.accumulate(predictions: [0], targets: [-1])) {
      XCTAssertEqual($0 as? SegMetricsError, .targetOutOfRange(value: -1, index: 0, classes: 3))
    }
  }

  func testOutOfRangePredictionThrows() throws {
    var m = try ConfusionMatrix(classes: 3)
    XCTAssertThrowsError(try m.accumulate(predictions: [0, 3], targets: [0, 1])) {
      XCTAssertEqual($0 as? SegMetricsError, .predictionOutOfRange(value: 3, index: 1, classes: 3))
    }
    XCTAssertEqual(m.totalCount, 0)
  }

  func testWithoutIgnoreIndex255IsOutOfRange() throws {
    var m = try ConfusionMatrix(classes: 3, ignoreIndex: nil)
    XCTAssertThrowsError(try m.accumulate(predictions: [0], targets: [255])) {
      XCTAssertEqual($0 as? SegMetricsError, .targetOutOfRange(value: 255, index: 0, classes: 3))
    }
  }

  func testLengthMismatchThrows() throws {
    var m = try ConfusionMatrix(classes: 3)
    XCTAssertThrowsError(try m.accumulate(predictions: [0, 1], targets: [0])) {
      XCTAssertEqual($0 as? SegMetricsError, .lengthMismatch(predictions: 2, targets: 1))
    }
  }

  func testMergeWithDifferentClassCountThrows() throws {
    var a = try ConfusionMatrix(classes: 3)
    let b = try ConfusionMatrix(classes: 4)
    XCTAssertThrowsError(try a.merge(b)) {
      XCTAssertEqual($0 as? SegMetricsError, .classCountMismatch(3, 4))
    }
  }

  func testInvalidClassCountsAreRefused() {
    for k in [0, -1, ConfusionMatrix.maxClasses + 1] {
      XCTAssertThrowsError(try ConfusionMatrix(classes: k)) {
        XCTAssertEqual($0 as? SegMetricsError, .invalidClassCount(k))
      }
    }
    XCTAssertThrowsError(try ConfusionMatrix(classes: 2, counts: [1, 2, 3])) {
      XCTAssertEqual($0 as? SegMetricsError, .malformedCounts(classes: 2, countsLength: 3))
    }
    XCTAssertThrowsError(try ConfusionMatrix(classes: 1, counts: [-1]))
  }
}
