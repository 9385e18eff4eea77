import Foundation
import SegMetrics

/// runs/X/report.html: one page with the run's configuration, its final (or latest) metrics
/// and per-class table, the curves, the confusion matrix and the sample panels.
public struct RunReport {
  public var record: RunRecord
  /// How many sample panels to embed (each is a PNG of tens of kilobytes).
  public var maxSamples = 8

  public init(_ record: RunRecord) { self.record = record }

  public static let fileName = "report.html"

  /// Reads the run folder and writes plots/*.svg and report.html; returns the page's URL.
  @discardableResult
  public static func write(run directory: URL, to output: URL? = nil) throws -> URL {
    let record = try RunRecord.load(directory)
    try RunCharts(record).writePlots(to: directory.appendingPathComponent("plots"))
    let url = output ?? directory.appendingPathComponent(fileName)
    try HTMLPage.write(RunReport(record).html(), to: url)
    return url
  }

  public func html() throws -> String {
    let charts = RunCharts(record)
    let metrics = try record.latestMetrics()
    let names = record.classNames
    var page = HTMLPage(title: "swift-fcn run: \(record.name)", subtitle: subtitle())

    page.add("Metrics", try metricCards(metrics))
    var curves = HTMLPage.chart(charts.lossChart.svg(standalone: false))
    curves += HTMLPage.chart(charts.metricsChart.svg(standalone: false))
    if let c = charts.classIoUOverTime(standalone: false) { curves += HTMLPage.chart(c) }
    page.add("Curves", curves)
    if let m = metrics {
      var body = classTable(m, names: names)
      if let bars = try charts.classIoUBars() { body += HTMLPage.chart(bars.svg(standalone: false)) }
      page.add("Per class", body)
    }
    if let c = charts.confusionChart {
      page.add(
        "Confusion matrix",
        HTMLPage.chart(c.svg(standalone: false))
          + "<p class=\"note\">Rows: the true class; columns: the predicted class. A cell is the share of the row's "
          + "pixels predicted as the column's class; the diagonal (outlined) is what was right. Hover a cell for "
          + "the exact share and pixel count.</p>")
    }
    page.add("Samples", try samples())
    page.add("Configuration", configTable())
    return page.render()
  }

  func subtitle() -> String {
    let last = record.steps.last?.step ?? 0
    let planned = record.configValue("train.steps").flatMap(Int.init)
    let progress = planned.map { "step \(last) of \($0)" } ?? "step \(last)"
    let status = record.finalMetrics != nil ? "finished" : "in progress or stopped"
    let stamp = ISO8601DateFormatter().string(from: Date())
    return escapeXML("\(record.directory.relativePath) · \(progress) · \(status) · page written \(stamp)")
  }

  func metricCards(_ metrics: Metrics?) throws -> String {
    guard let m = metrics else {
      return "<p>No evaluation yet: the metrics appear after the first evaluation (--eval-every) or at the end.</p>"
    }
    let step = record.snapshot.map { "validation, step \($0.step)" } ?? "validation, final"
    var cards: [(String, String)] = [
      ("mIoU", percent(m.meanIoU)), ("pixel accuracy", percent(m.pixelAccuracy)),
      ("mean class accuracy", percent(m.meanAccuracy)), ("frequency-weighted IoU", percent(m.fwIoU)),
    ]
    if let best = record.best { cards.append(("best mIoU (step \(best.step))", percent(best.meanIoU))) }
    let losses = record.steps.map { $0.loss }
    if let lastSmoothed = RunCharts.ema(losses, span: RunCharts.smoothingSpan(steps: losses.count)).last ?? nil {
      cards.append(("train loss (smoothed, last)", String(format: "%.4f", lastSmoothed)))
    }
    let speeds = record.steps.compactMap(\.imagesPerSecond).filter(\.isFinite).sorted()
    if !speeds.isEmpty { cards.append(("images/s (median)", String(format: "%.1f", speeds[speeds.count / 2]))) }
    let html = cards.map {
      "<div class=\"card\"><div class=\"v\">\(escapeXML($0.1))</div><div class=\"k\">\(escapeXML($0.0))</div></div>"
    }.joined()
    return
      "<p class=\"note\">\(escapeXML(step)), \(m.countedPixels) pixels scored.</p><div class=\"cards\">\(html)</div>"
  }

  func classTable(_ m: Metrics, names: [String]) -> String {
    let truth = record.snapshot?.matrix.groundTruthCounts
    let total = truth.map { max($0.reduce(0, +), 1) }
    let rows = (0..<m.classes).map { k -> [String] in
      let name = k < names.count ? names[k] : "class \(k)"
      var row = [
        "\(k)", "<span class=\"swatch\" style=\"background:\(Palette.classColour(k))\"></span>\(escapeXML(name))",
        percent(m.perClassIoU[k]), percent(m.perClassAccuracy[k]),
      ]
      if let truth, let total { row.append(String(format: "%.1f %%", Double(truth[k]) / Double(total) * 100)) }
      return row
    }
    var header = ["id", "class", "IoU", "accuracy (recall)"]
    if truth != nil { header.append("share of pixels") }
    return HTMLPage.table(header: header, rows: rows, numeric: [0, 2, 3, 4])
      + "<p class=\"note\">n/a: the class occurs in neither the ground truth nor the prediction (IoU), or not in "
      + "the ground truth (accuracy); it is left out of the means.</p>"
  }

  func samples() throws -> String {
    guard !record.samples.isEmpty else { return "<p>No sample panels yet (written at each evaluation).</p>" }
    var html = "<div class=\"samples\">"
    for url in record.samples.prefix(maxSamples) {
      let data = try RunRecord.readData(url)
      html +=
        "<img alt=\"\(escapeXML(url.lastPathComponent))\" src=\"data:image/png;base64,"
        + data.base64EncodedString() + "\">"
    }
    html += "</div>"
    if record.samples.count > maxSamples {
      html += "<p class=\"note\">\(record.samples.count - maxSamples) more in samples/.</p>"
    }
    return html
  }

  func configTable() -> String {
    HTMLPage.table(
      header: ["setting", "value"],
      rows: record.config.map { ["<code>\(escapeXML($0.key))</code>", escapeXML($0.value)] })
  }
}
