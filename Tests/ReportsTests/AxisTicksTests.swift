import XCTest

@testable import Reports

final class AxisTicksTests: XCTestCase {
  func testStepsOfAThousandEndOnALabelledThousand() {
    let t = AxisTicks(low: 1, high: 1000)
    XCTAssertEqual(t.values.first, 0)
    XCTAssertEqual(t.values.last, 1000)
    XCTAssertEqual(t.labels.last, "1000")
    XCTAssertEqual(t.step, 200)
  }

  func testHandPickedRanges() {
    XCTAssertEqual(AxisTicks(low: 0.013, high: 0.87).labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    XCTAssertEqual(AxisTicks(low: 1, high: 40).labels, ["0", "10", "20", "30", "40"])
    XCTAssertEqual(AxisTicks(low: 1, high: 100_000).labels, ["0", "20k", "40k", "60k", "80k", "100k"])
    XCTAssertEqual(AxisTicks(low: 0.3, high: 2.4).labels, ["0", "1", "2", "3"])
    XCTAssertEqual(AxisTicks(low: 0.21, high: 0.29).labels, ["0.20", "0.22", "0.24", "0.26", "0.28", "0.30"])
    // One value: the axis is widened around it, and still covers it.
    let single = AxisTicks(low: 5, high: 5)
    XCTAssertLessThan(single.lower, 5)
    XCTAssertGreaterThan(single.upper, 5)
  }

  /// Over many random ranges: the ticks cover the data, are 1, 2 or 5 × 10^k apart, number
  /// between 3 and 12, and every label reads back as its value.
  func testRandomRangesGiveNiceCoveringTicks() {
    var rng = TestLCG(state: 7)
    for _ in 0..<2000 {
      let magnitude = pow(10, rng.uniform() * 27 - 12)
      let a = (rng.uniform() * 2 - 1) * magnitude
      let b = a + rng.uniform() * magnitude * 3 + magnitude * 1e-6
      let t = AxisTicks(low: a, high: b)
      XCTAssertLessThanOrEqual(t.lower, a)
      XCTAssertGreaterThanOrEqual(t.upper, b)
      XCTAssert((3...12).contains(t.values.count), "\(a)…\(b): \(t.values.count) ticks")
      let mantissa = t.step / pow(10, log10(t.step).rounded(.down))
      XCTAssert([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "step \(t.step)")
      for (v, label) in zip(t.values, t.labels) {
        if label.hasSuffix("k") || label.hasSuffix("M") { continue }
        XCTAssertEqual(Double(label)!, v, accuracy: t.step * 1e-6, "label \(label) for \(v)")
      }
      XCTAssertEqual(Set(t.labels).count, t.labels.count, "labels must differ: \(t.labels)")
    }
  }
}

final class ExtremeAxisTests: XCTestCase {
  /// A diverged run's loss can reach the limits of Double: the chart still draws, with labels.
  func testExtremeRangesNeitherTrapNorLoop() {
    for (a, b) in [(-1e308, 1e308), (0, 1.7e308), (1e-310, 2e-310), (-5e-324, 5e-324)] {
      let t = AxisTicks(low: a, high: b)
      XCTAssertFalse(t.values.isEmpty)
      XCTAssertTrue(t.values.allSatisfy(\.isFinite))
      XCTAssertEqual(t.labels.count, t.values.count)
    }
    let svg = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [LineSeries(name: "s", points: [(1, 1), (2, 1e308), (3, -1e308)], colour: "#000")]
    ).svg()
    XCTAssertTrue(svg.hasSuffix("</svg>\n"))
  }
}
