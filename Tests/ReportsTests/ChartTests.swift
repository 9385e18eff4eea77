import SegMetrics
import XCTest

@testable import Reports

final class ChartTests: XCTestCase {
  func thousandSteps() -> LineChart {
    let points = (1...1000).map { (x: Double($0), y: 2 * exp(-Double($0) / 300) + 0.05) }
    return LineChart(
      title: "Training loss", xLabel: "step (optimizer updates)", yLabel: "loss (cross-entropy per pixel)",
      series: [
        LineSeries(name: "train loss", points: points, colour: "#1f77b4"),
        LineSeries(name: "smoothed <EMA> & more", points: points, colour: "#d62728"),
      ])
  }

  func testLineChartNamesEverything() {
    let svg = thousandSteps().svg()
    XCTAssertEqual(svgTexts(svg, className: "title").map(\.text), ["Training loss"])
    XCTAssertEqual(svgTexts(svg, className: "xlabel").map(\.text), ["step (optimizer updates)"])
    XCTAssertEqual(svgTexts(svg, className: "ylabel").map(\.text), ["loss (cross-entropy per pixel)"])
    XCTAssertEqual(svgTexts(svg, className: "legend").map(\.text), ["train loss", "smoothed <EMA> & more"])
    XCTAssertTrue(svg.contains("smoothed &lt;EMA&gt; &amp; more"), "text must be escaped in the SVG")
  }

  /// The last step has a labelled tick at or past it, and that label lies inside the picture.
  func testTickLabelsCoverTheDataAndFitTheCanvas() {
    let svg = thousandSteps().svg()
    let x = svgTexts(svg, className: "xtick")
    XCTAssertEqual(x.map(\.text), ["0", "200", "400", "600", "800", "1000"])
    let width = svgWidth(svg)
    for t in x {
      let half = Double(t.text.count) * 13 * 0.62 / 2
      XCTAssertLessThanOrEqual(t.x + half, width, "tick \(t.text) cut off")
      XCTAssertGreaterThanOrEqual(t.x - half, 0)
    }
    let y = svgTexts(svg, className: "ytick").map { Double($0.text)! }
    XCTAssertLessThanOrEqual(y.first!, 0.05 + 2 * exp(-1000.0 / 300))
    XCTAssertGreaterThanOrEqual(y.last!, 2 * exp(-1.0 / 300) + 0.05)
    for t in svgTexts(svg, className: "ytick") { XCTAssertGreaterThan(t.x - Double(t.text.count) * 13 * 0.62, 0) }
  }

  func testFixedPercentAxis() {
    let chart = LineChart(
      title: "Validation metrics", xLabel: "step", yLabel: "metric (%)",
      series: [LineSeries(name: "mIoU", points: [(x: 250, y: 40), (x: 500, y: 61)], colour: "#000", markers: true)],
      yRange: (0, 100, 20))
    let svg = chart.svg()
    XCTAssertEqual(svgTexts(svg, className: "ytick").map(\.text), ["0", "20", "40", "60", "80", "100"])
    XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2, "one marker per evaluation")
  }

  func testNonFiniteValuesBreakTheLineInsteadOfBreakingTheChart() {
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [LineSeries(name: "s", points: [(1, 1), (2, .nan), (3, 2), (4, 3), (5, .infinity)], colour: "#000")])
    let svg = chart.svg()
    XCTAssertFalse(svg.contains("nan") || svg.contains("inf"), svg)
    XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 1, "only the run 3…4 is a line")
  }

  func testLongSeriesAreThinnedButKeepTheirExtremes() {
    var points = (0..<100_000).map { (x: Double($0), y: 1.0) }
    points[54_321].y = 9
    let thin = LineChart.thinned(points)
    XCTAssertLessThanOrEqual(thin.count, LineChart.maxPointsPerSeries)
    XCTAssertEqual(thin.map(\.y).max(), 9)
  }

  // MARK: confusion matrix

  func testRowPercentagesSumToExactlyAHundred() {
    XCTAssertEqual(ConfusionChart.rowPercentages([1, 1, 1]), [34, 33, 33])
    XCTAssertEqual(ConfusionChart.rowPercentages([0, 0]), [0, 0])
    XCTAssertEqual(ConfusionChart.rowPercentages([1, 0, 999]), [0, 0, 100])
    XCTAssertEqual(ConfusionChart.rowPercentages([7, 3]), [70, 30])
  }

  func matrix(classes k: Int, seed: UInt64, emptyRow: Int? = nil) throws -> ConfusionMatrix {
    var rng = TestLCG(state: seed)
    var counts = [Int64](repeating: 0, count: k * k)
    for t in 0..<k where t != emptyRow {
      for p in 0..<k {
        let r = rng.uniform()
        counts[t * k + p] = p == t ? Int64(500 + r * 5000) : (r < 0.5 ? 0 : Int64(r * r * 400))
      }
    }
    return try ConfusionMatrix(classes: k, counts: counts)
  }

  /// Read back from the SVG: every row with pixels sums to 100, every cell is within one point
  /// of the exact share, and every class is named on both axes.
  func testConfusionCellsSumToAHundredPerRow() throws {
    for (k, names) in [(3, ["background", "road", "car"]), (11, nil), (21, nil)] as [(Int, [String]?)] {
      let m = try matrix(classes: k, seed: UInt64(k), emptyRow: k > 3 ? 2 : nil)
      let classNames = names ?? (0..<k).map { "object \($0)" }
      let svg = ConfusionChart(matrix: m, classNames: classNames).svg()
      var sums = [Int: Int]()
      for cell in svgTexts(svg, className: "cell") {
        let t = Int(cell.attributes["data-row"]!)!
        let p = Int(cell.attributes["data-col"]!)!
        let value = cell.text == "<1" ? 0 : Int(cell.text)!
        sums[t, default: 0] += value
        let row = (0..<k).map { m.count(target: t, predicted: $0) }
        let exact = Double(row[p]) * 100 / Double(row.reduce(0, +))
        XCTAssertEqual(Double(value), exact, accuracy: 1, "cell \(t),\(p)")
        if cell.text == "<1" { XCTAssertLessThan(exact, 1) }
      }
      for t in 0..<k {
        let pixels = (0..<k).map { m.count(target: t, predicted: $0) }.reduce(0, +)
        XCTAssertEqual(sums[t] ?? 0, pixels > 0 ? 100 : 0, "row \(t) of \(k)")
      }
      let rowNames = svgTexts(svg, className: "rowname").map(\.text)
      XCTAssertEqual(rowNames.count, k)
      for (i, n) in classNames.enumerated() {
        XCTAssertTrue(rowNames[i].hasPrefix(n))
      }
      XCTAssertEqual(svgTexts(svg, className: "colname").map(\.text), classNames)
      XCTAssertEqual(svgTexts(svg, className: "scaletick").map(\.text), ["0 %", "25 %", "50 %", "75 %", "100 %"])
      XCTAssertEqual(svgTexts(svg, className: "xlabel").first?.text, "predicted class →")
      if k > 3 { XCTAssertTrue(rowNames[2].hasSuffix("(no pixels)")) }
    }
  }

  func testClassIoUBarsAreLabelled() {
    let svg = ClassIoUChart(classNames: ["background", "circle", "square"], iou: [0.95, nil, 0.5], meanIoU: 0.725)
      .svg()
    XCTAssertEqual(svgTexts(svg, className: "classname").map(\.text), ["background", "circle", "square"])
    XCTAssertEqual(
      svgTexts(svg, className: "value").map(\.text),
      ["95.0 %", "n/a (not in ground truth or prediction)", "50.0 %"])
    XCTAssertEqual(svgTexts(svg, className: "mean").map(\.text), ["mIoU 72.5 %"])
    XCTAssertEqual(svgTexts(svg, className: "xlabel").map(\.text), ["IoU (%)"])
  }

  func testEMAIsBiasCorrected() {
    XCTAssertEqual(RunCharts.ema([1, 1, 1], span: 9).map { $0! }, [1, 1, 1])
    // span 3: α = 0.5; after 4 then 0: (0.5·4·0.5 + 0.5·0) / 0.75 = 4/3.
    let e = RunCharts.ema([4, 0, nil], span: 3)
    XCTAssertEqual(e[0]!, 4, accuracy: 1e-12)
    XCTAssertEqual(e[1]!, 4.0 / 3, accuracy: 1e-12)
    XCTAssertNil(e[2])
  }
}

final class HeatmapTests: XCTestCase {
  /// Many classes: one row per class, one cell per shown evaluation, at most 16 columns with the
  /// first and last evaluation among them, cell values the IoU in percent.
  func testHeatmapRowsColumnsAndValues() {
    let names = (0..<21).map { "class name \($0)" }
    let evaluations = (1...40).map { s in
      (step: s * 500, iou: (0..<21).map { c -> Double? in c == 4 ? nil : Double(c) / 20 * Double(s) / 40 })
    }
    let svg = ClassIoUHeatmap(classNames: names, evaluations: evaluations, title: "t").svg()
    let steps = svgTexts(svg, className: "xtick").map(\.text)
    XCTAssertEqual(steps.count, 16)
    XCTAssertEqual(steps.first, "500")
    XCTAssertEqual(steps.last, "20000")
    XCTAssertEqual(svgTexts(svg, className: "rowname").map(\.text), names)
    let cells = svgTexts(svg, className: "cell").map(\.text)
    XCTAssertEqual(cells.count, 20 * 16, "class 4 has no IoU: no numbers in its row")
    // Last row (class 20), last column (step 20000): IoU 1.0.
    XCTAssertEqual(cells.last, "100")
  }
}

final class CoordinateFormatTests: XCTestCase {
  func testCoordinatesHaveAtMostTwoDecimalsAndNoTrailingZeros() {
    let cases: [(Double, String)] = [
      (0, "0"), (1.5, "1.5"), (1.05, "1.05"), (-0.004, "0"), (-2.25, "-2.25"), (12.3456, "12.35"), (-0.5, "-0.5"),
      (100, "100"), (0.1, "0.1"), (3.999, "4"), (.nan, "0"),
    ]
    for (v, s) in cases { XCTAssertEqual(formatCoordinate(v), s, "\(v)") }
  }
}
