import Foundation

/// An SVG document built from a few primitives. Text sizes are estimated (there is no font
/// engine here) with a generous average glyph width, so layouts leave room rather than cut.
struct SVGCanvas {
  let width: Double
  let height: Double
  private(set) var elements: [String] = []

  /// Font stack: DejaVu Sans is what Debian's Chromium falls back to; its digits are 0.64 em
  /// wide, the widest of the common sans fonts, hence `averageGlyphWidth`.
  static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
  static let averageGlyphWidth = 0.62

  init(width: Double, height: Double) {
    self.width = width.rounded(.up)
    self.height = height.rounded(.up)
  }

  /// Estimated width in user units of `text` at `size`.
  static func textWidth(_ text: String, size: Double) -> Double {
    Double(text.count) * size * averageGlyphWidth
  }

  mutating func raw(_ element: String) { elements.append(element) }

  mutating func rect(
    x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
    extra: String = "", tooltip: String? = nil
  ) {
    let strokeAttribute = stroke.map { " stroke=\"\($0)\"" } ?? ""
    let open =
      "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(width, 0)))\" height=\"\(n(max(height, 0)))\" fill=\"\(fill)\"\(strokeAttribute)\(extra.isEmpty ? "" : " " + extra)"
    if let tooltip {
      elements.append(open + "><title>\(escapeXML(tooltip))</title></rect>")
    } else {
      elements.append(open + "/>")
    }
  }

  mutating func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil
  ) {
    let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
    elements.append(
      "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\"\(dashAttribute)/>"
    )
  }

  mutating func polyline(
    _ points: [(Double, Double)], stroke: String, width: Double, dash: String? = nil, opacity: Double = 1
  ) {
    guard points.count > 1 else { return }
    let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
    let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
    let opacityAttribute = opacity < 1 ? " stroke-opacity=\"\(n(opacity))\"" : ""
    elements.append(
      "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(dashAttribute)\(opacityAttribute)/>"
    )
  }

  mutating func circle(x: Double, y: Double, radius: Double, fill: String, tooltip: String? = nil) {
    let open = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\""
    elements.append(tooltip.map { open + "><title>\(escapeXML($0))</title></circle>" } ?? open + "/>")
  }

  enum Anchor: String {
    case start, middle, end
  }

  /// `class` lets tests and readers find a kind of label (tick, title, cell value) in the SVG.
  mutating func text(
    _ text: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start, bold: Bool = false,
    fill: String = "#222", rotate: Double? = nil, className: String? = nil, extra: String = ""
  ) {
    var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\""
    if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
    if bold { attributes += " font-weight=\"bold\"" }
    if fill != "#222" { attributes += " fill=\"\(fill)\"" }
    if let rotate { attributes += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
    if let className { attributes += " class=\"\(className)\"" }
    if !extra.isEmpty { attributes += " " + extra }
    elements.append("<text \(attributes)>\(escapeXML(text))</text>")
  }

  /// The whole document. `viewBox` lets a page scale it; width/height give its natural size.
  /// A file needs the SVG namespace; inside an HTML page it is implied and left out, so the
  /// page contains no URL at all.
  func document(standalone: Bool = true) -> String {
    let namespace = standalone ? #" xmlns="http://www.w3.org/2000/svg""# : ""
    return """
      <svg\(namespace) width="\(n(width))" height="\(n(height))" viewBox="0 0 \(n(width)) \(n(height))" font-family="\(Self.fontFamily)">
      <rect width="100%" height="100%" fill="#ffffff"/>
      \(elements.joined(separator: "\n"))
      </svg>

      """
  }

  /// Numbers with at most two decimals: small files, no exponent notation.
  func n(_ v: Double) -> String { formatCoordinate(v) }
}

func formatCoordinate(_ v: Double) -> String {
  guard v.isFinite else { return "0" }
  if abs(v) > 1e12 { return String(format: "%.0f", v) }
  // Whole hundredths as an integer, then the decimal point put in by hand: this runs for every
  // point of every curve, and String(format:) with a regex trim made long runs slow.
  let hundredths = Int((v * 100).rounded())
  let sign = hundredths < 0 ? "-" : ""
  let magnitude = abs(hundredths)
  let whole = magnitude / 100
  let fraction = magnitude % 100
  if fraction == 0 { return sign + String(whole) }
  return sign + String(whole)
    + (fraction % 10 == 0 ? "." + String(fraction / 10) : (fraction < 10 ? ".0" : ".") + String(fraction))
}

/// Text safe inside XML/HTML elements and attribute values.
public func escapeXML(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.count)
  for c in s {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}
