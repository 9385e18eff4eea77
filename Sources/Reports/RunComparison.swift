import Foundation
import SegMetrics

/// Several runs side by side: which settings differ, the metrics in one table, per-class IoU,
/// and the loss and mIoU curves overlaid — as one HTML page and as a terminal table.
public struct RunComparison {
  public var records: [RunRecord]

  public init(_ records: [RunRecord]) { self.records = records }

  public static func load(_ folders: [URL]) throws -> RunComparison {
    RunComparison(try folders.map(RunRecord.load))
  }

  /// Short names for the columns: the folder name, or the whole path where two share one.
  public var labels: [String] {
    let names = records.map(\.name)
    return records.map { r in names.filter { $0 == r.name }.count > 1 ? r.directory.path : r.name }
  }

  /// Settings whose value is not the same in every run (absent in a run counts as different),
  /// in key order.
  public var configDifferences: [(key: String, values: [String?])] {
    let keys = Set(records.flatMap { $0.config.map(\.key) }).sorted()
    return keys.compactMap { key in
      let values = records.map { $0.configValue(key) }
      return Set(values.map { $0 ?? "\u{0}absent" }).count > 1 ? (key, values) : nil
    }
  }

  public struct MetricRow {
    public var name: String
    public var values: [Double?]
    public var text: [String]
    /// Which value is best gets marked; nil marks none (e.g. step counts).
    public var higherIsBetter: Bool?
  }

  public func metricRows() throws -> [MetricRow] {
    let latest = try records.map { try $0.latestMetrics() }
    func row(_ name: String, _ value: (Metrics) -> Double) -> MetricRow {
      let values = latest.map { $0.map(value).flatMap { $0.isFinite ? $0 : nil } }
      return MetricRow(name: name, values: values, text: values.map { percent($0) }, higherIsBetter: true)
    }
    let steps = records.map { $0.steps.last.map { Double($0.step) } }
    let best = records.map(\.best)
    let losses = records.map { r -> Double? in
      let l = r.steps.map(\.loss)
      return RunCharts.ema(l, span: RunCharts.smoothingSpan(steps: l.count)).last ?? nil
    }
    let speeds = records.map { r -> Double? in
      let s = r.steps.compactMap(\.imagesPerSecond).filter(\.isFinite).sorted()
      return s.isEmpty ? nil : s[s.count / 2]
    }
    return [
      MetricRow(name: "steps", values: steps, text: steps.map { $0.map { String(Int($0)) } ?? "n/a" }),
      row("mIoU", \.meanIoU), row("pixel accuracy", \.pixelAccuracy), row("mean class accuracy", \.meanAccuracy),
      row("frequency-weighted IoU", \.fwIoU),
      MetricRow(
        name: "best mIoU (step)", values: best.map { $0?.meanIoU },
        text: best.map { $0.map { "\(percent($0.meanIoU)) (\($0.step))" } ?? "n/a" }, higherIsBetter: true),
      MetricRow(
        name: "train loss (smoothed, last)", values: losses,
        text: losses.map { $0.map { String(format: "%.4f", $0) } ?? "n/a" }, higherIsBetter: false),
      MetricRow(
        name: "images/s (median)", values: speeds, text: speeds.map { $0.map { String(format: "%.1f", $0) } ?? "n/a" },
        higherIsBetter: true),
    ]
  }

  /// Per-class IoU rows by class name (runs on different data sets list the union).
  public func classRows() throws -> [MetricRow] {
    let latest = try records.map { try $0.latestMetrics() }
    var names = [String]()
    for r in records { for n in r.classNames where !names.contains(n) { names.append(n) } }
    return names.map { name in
      let values = zip(records, latest).map { r, m -> Double? in
        guard let m, let k = r.classNames.firstIndex(of: name), k < m.perClassIoU.count else { return nil }
        return m.perClassIoU[k]
      }
      return MetricRow(name: "IoU " + name, values: values, text: values.map { percent($0) }, higherIsBetter: true)
    }
  }

  /// The run with the best value of `row`; nil when the row has no direction, fewer than two
  /// runs have a value, or the best is shared (a tie marks no one).
  static func bestIndex(_ row: MetricRow) -> Int? {
    guard let higher = row.higherIsBetter else { return nil }
    let indexed = row.values.enumerated().compactMap { i, v in v.map { (i, $0) } }
    guard indexed.count > 1,
      let best = (higher ? indexed.max { $0.1 < $1.1 } : indexed.min { $0.1 < $1.1 })
    else { return nil }
    return indexed.filter { $0.1 == best.1 }.count == 1 ? best.0 : nil
  }

  public var lossChart: LineChart {
    let series = records.enumerated().map { i, r -> LineSeries in
      let l = r.steps.map(\.loss)
      let smooth = RunCharts.ema(l, span: RunCharts.smoothingSpan(steps: l.count))
      return LineSeries(
        name: labels[i], points: zip(r.steps, smooth).map { (x: Double($0.step), y: $1 ?? .nan) },
        colour: Palette.series(i), width: 2.2)
    }
    return LineChart(
      title: "Training loss, smoothed (EMA over 1/50 of each run)", xLabel: "step (optimizer updates)",
      yLabel: "loss (cross-entropy per pixel)", series: series)
  }

  public var meanIoUChart: LineChart {
    let series = records.enumerated().map { i, r in
      LineSeries(
        name: labels[i], points: r.evaluations.map { (x: Double($0.step), y: ($0.meanIoU ?? .nan) * 100) },
        colour: Palette.series(i), width: 2.2, markers: true)
    }
    return LineChart(
      title: "Validation mIoU", xLabel: "step (optimizer updates)", yLabel: "mIoU (%)", series: series,
      yRange: (0, 100, 20), plotHeight: 260)
  }

  public func html() throws -> String {
    var page = HTMLPage(
      title: "swift-fcn: comparing \(records.count) runs",
      subtitle: escapeXML(records.map(\.directory.relativePath).joined(separator: " · ")))
    let differences = configDifferences
    if differences.isEmpty {
      page.add("Configuration differences", "<p>None: every setting is the same in all runs.</p>")
    } else {
      page.add(
        "Configuration differences",
        HTMLPage.table(
          header: ["setting"] + labels,
          rows: differences.map { d in
            ["<code>\(escapeXML(d.key))</code>"] + d.values.map { escapeXML($0 ?? "(absent)") }
          }))
    }
    page.add(
      "Metrics",
      try metricsTable(metricRows())
        + "<p class=\"note\">Bold: the best run of the row (none on a tie). mIoU and the other validation "
        + "metrics are those of each run's last evaluation.</p>")
    page.add(
      "Curves",
      HTMLPage.chart(lossChart.svg(standalone: false)) + HTMLPage.chart(meanIoUChart.svg(standalone: false)))
    page.add("Per-class IoU (last evaluation)", try metricsTable(classRows()))
    return page.render()
  }

  func metricsTable(_ rows: [MetricRow]) -> String {
    var bold = Set<[Int]>()
    for (r, row) in rows.enumerated() { if let b = Self.bestIndex(row) { bold.insert([r, b + 1]) } }
    return HTMLPage.table(
      header: ["metric"] + labels, rows: rows.map { [escapeXML($0.name)] + $0.text.map(escapeXML) },
      numeric: Set(1...max(records.count, 1)), bold: bold)
  }

  /// Plain-text tables for the terminal: settings that differ, then metrics (best marked *).
  public func terminalTable() throws -> String {
    var out = ""
    let differences = configDifferences
    out += differences.isEmpty ? "configuration: identical\n" : "configuration differences:\n"
    if !differences.isEmpty {
      out += Self.textTable(
        header: ["setting"] + labels, rows: differences.map { [$0.key] + $0.values.map { $0 ?? "(absent)" } })
    }
    out += "\nmetrics (* best):\n"
    let rows = try metricRows() + classRows()
    out += Self.textTable(
      header: ["metric"] + labels,
      rows: rows.map { row in
        let best = Self.bestIndex(row)
        return [row.name] + row.text.enumerated().map { $0.offset == best ? $0.element + " *" : $0.element }
      }, rightAligned: true)
    return out
  }

  static func textTable(header: [String], rows: [[String]], rightAligned: Bool = false) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { c, s in
        let pad = String(repeating: " ", count: widths[c] - s.count)
        return rightAligned && c > 0 ? pad + s : s + pad
      }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
    }
    return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
  }
}

extension RunComparison {
  /// Writes the page atomically.
  public func write(to url: URL) throws { try HTMLPage.write(html(), to: url) }
}
