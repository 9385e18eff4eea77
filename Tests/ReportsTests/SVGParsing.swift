import Foundation

/// The few things the tests read back from the SVG the charts write: the text of elements of
/// one class, with their attributes.
struct SVGText {
  var text: String
  var attributes: [String: String]

  var x: Double { Double(attributes["x"] ?? "") ?? .nan }
  var y: Double { Double(attributes["y"] ?? "") ?? .nan }
}

func svgTexts(_ svg: String, className: String) -> [SVGText] {
  let pattern = #"<text ([^>]*)>([^<]*)</text>"#
  let regex = try! NSRegularExpression(pattern: pattern)
  let attributePattern = try! NSRegularExpression(pattern: #"([a-zA-Z-]+)="([^"]*)""#)
  var out = [SVGText]()
  let range = NSRange(svg.startIndex..., in: svg)
  for match in regex.matches(in: svg, range: range) {
    let attributeText = String(svg[Range(match.range(at: 1), in: svg)!])
    var attributes = [String: String]()
    for a in attributePattern.matches(in: attributeText, range: NSRange(attributeText.startIndex..., in: attributeText))
    {
      attributes[String(attributeText[Range(a.range(at: 1), in: attributeText)!])] = String(
        attributeText[Range(a.range(at: 2), in: attributeText)!])
    }
    guard attributes["class"] == className else { continue }
    out.append(SVGText(text: unescapeXML(String(svg[Range(match.range(at: 2), in: svg)!])), attributes: attributes))
  }
  return out
}

func unescapeXML(_ s: String) -> String {
  s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
    .replacingOccurrences(of: "&amp;", with: "&")
}

/// The width attribute of the root <svg> element.
func svgWidth(_ svg: String) -> Double {
  let regex = try! NSRegularExpression(pattern: #"<svg[^>]* width="([0-9.]+)""#)
  guard let m = regex.firstMatch(in: svg, range: NSRange(svg.startIndex..., in: svg)) else { return .nan }
  return Double(String(svg[Range(m.range(at: 1), in: svg)!])) ?? .nan
}

/// A fixed pseudo-random stream for test data (64-bit LCG, Knuth's MMIX constants).
struct TestLCG {
  var state: UInt64
  mutating func next() -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return state >> 33
  }
  mutating func uniform() -> Double { Double(next()) / Double(1 << 31) }
}
