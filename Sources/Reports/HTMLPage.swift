import Foundation

/// A self-contained HTML page: inline CSS, inline SVG, images as data: URLs. No script, no
/// link, nothing fetched — it opens the same from a laptop, a mail attachment or a machine
/// without network.
struct HTMLPage {
  var title: String
  var subtitle: String
  var sections: [(heading: String, body: String)] = []

  mutating func add(_ heading: String, _ body: String) { sections.append((heading, body)) }

  func render() -> String {
    let body = sections.map { "<section>\n<h2>\(escapeXML($0.heading))</h2>\n\($0.body)\n</section>" }
      .joined(separator: "\n")
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escapeXML(title))</title>
      <style>
      \(Self.css)
      </style>
      </head>
      <body>
      <header><h1>\(escapeXML(title))</h1><p class="sub">\(subtitle)</p></header>
      \(body)
      </body>
      </html>

      """
  }

  static let css = """
    body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1120px;
      padding: 16px 24px 48px; line-height: 1.4; }
    h1 { font-size: 24px; margin: 8px 0 2px; }
    h2 { font-size: 19px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
    .sub { color: #555; margin: 0; }
    table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
    th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
    th { background: #f4f6f8; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.best { font-weight: bold; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; }
    .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
    .card .v { font-size: 26px; font-weight: bold; }
    .card .k { color: #555; font-size: 13px; }
    .chart { margin: 12px 0; overflow-x: auto; }
    .chart svg { max-width: 100%; height: auto; }
    .swatch { display: inline-block; width: 14px; height: 14px; border: 1px solid #444; vertical-align: middle;
      margin-right: 6px; }
    .samples img { display: block; max-width: 100%; margin: 10px 0; border: 1px solid #ddd;
      image-rendering: pixelated; }
    .note { color: #555; font-size: 13px; }
    details summary { cursor: pointer; color: #333; }
    """

  static func chart(_ svg: String) -> String { "<div class=\"chart\">\n\(svg)</div>" }

  /// A table; `numeric` columns are right-aligned.
  static func table(header: [String], rows: [[String]], numeric: Set<Int> = [], bold: Set<[Int]> = []) -> String {
    var html = "<table>\n<tr>"
    for (i, h) in header.enumerated() {
      html += "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(escapeXML(h))</th>"
    }
    html += "</tr>\n"
    for (r, row) in rows.enumerated() {
      html += "<tr>"
      for (i, cell) in row.enumerated() {
        var classes = [String]()
        if numeric.contains(i) { classes.append("num") }
        if bold.contains([r, i]) { classes.append("best") }
        let attribute = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
        html += "<td\(attribute)>\(cell)</td>"
      }
      html += "</tr>\n"
    }
    return html + "</table>"
  }

  /// Writes `text` to `url` atomically (a temporary file renamed over it), so a browser
  /// refreshing the page during training never reads half a page.
  static func write(_ text: String, to url: URL) throws {
    do {
      try FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
      throw ReportError.io("\(url.path): cannot write the page (\(error.localizedDescription))")
    }
  }
}

func percent(_ v: Double?, decimals: Int = 1) -> String {
  guard let v, v.isFinite else { return "n/a" }
  return String(format: "%.\(decimals)f %%", v * 100)
}
