import Foundation

/// One test-time transform: resize by `scale`, then mirror. Undone on the output by mirroring
/// back and resizing bilinearly to the image's size.
public struct TTATransform: Equatable, Sendable, CustomStringConvertible {
  public var scale: Double
  public var flipX: Bool
  public var flipY: Bool

  public init(scale: Double = 1, flipX: Bool = false, flipY: Bool = false) {
    self.scale = scale
    self.flipX = flipX
    self.flipY = flipY
  }

  public var isIdentity: Bool { scale == 1 && !flipX && !flipY }

  /// The image's size under this transform: each side times the scale, rounded half up (as
  /// mmsegmentation's int(side · scale + 0.5)), at least 1.
  public func size(height: Int, width: Int) -> (height: Int, width: Int) {
    (max(1, Int(Double(height) * scale + 0.5)), max(1, Int(Double(width) * scale + 0.5)))
  }

  public var description: String {
    var parts = scale == 1 ? [] : ["scale \(scale)"]
    if flipX { parts.append("hflip") }
    if flipY { parts.append("vflip") }
    return parts.isEmpty ? "identity" : parts.joined(separator: "+")
  }
}

/// `--tta hflip,vflip,scales=0.75,1,1.25`: for every scale, the image as is and each flip asked
/// for — 3 scales × (none, hflip, vflip) = 9 passes. Flips are not combined with each other (as
/// mmsegmentation's flip directions): a 180° turn is rarely what the training data looks like.
public struct TestTimeAugmentation: Equatable, Sendable, CustomStringConvertible {
  public var scales: [Double]
  public var hflip: Bool
  public var vflip: Bool

  public static let none = TestTimeAugmentation(scales: [1], hflip: false, vflip: false)
  /// Scales are bounded: 0.05 of a photo is a few pixels, 4× a 4000×3000 one is 192 M pixels.
  public static let scaleRange = 0.05...4.0

  public init(scales: [Double], hflip: Bool, vflip: Bool) {
    self.scales = scales
    self.hflip = hflip
    self.vflip = vflip
  }

  /// Parses the option's text; `option` names it in errors.
  public init(parsing text: String, option: String = "--tta") throws {
    var scales: [Double] = []
    var hflip = false
    var vflip = false
    var readingScales = false
    var sawScales = false
    for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
      let token = raw.trimmingCharacters(in: .whitespaces).lowercased()
      var number = token
      if token.hasPrefix("scales=") {
        guard !sawScales else { throw InferenceError.option(option, "scales= appears twice in '\(text)'") }
        sawScales = true
        readingScales = true
        number = String(token.dropFirst("scales=".count))
      } else if token == "hflip" || token == "vflip" || token == "none" {
        readingScales = false
        if token == "hflip" { hflip = true }
        if token == "vflip" { vflip = true }
        continue
      }
      guard readingScales else {
        throw InferenceError.option(
          option, "'\(token)' is not hflip, vflip, none or scales=S1,S2,… (e.g. hflip,vflip,scales=0.75,1,1.25)")
      }
      guard let s = Double(number), s.isFinite, Self.scaleRange.contains(s) else {
        throw InferenceError.option(
          option,
          "scale '\(number)' is not a number in \(Self.scaleRange.lowerBound)...\(Self.scaleRange.upperBound)")
      }
      guard !scales.contains(s) else { throw InferenceError.option(option, "scale \(s) appears twice") }
      scales.append(s)
    }
    self.init(scales: scales.isEmpty ? [1] : scales, hflip: hflip, vflip: vflip)
  }

  /// Every pass, in order: per scale, the plain image, then hflip, then vflip.
  public var transforms: [TTATransform] {
    scales.flatMap { s in
      [TTATransform(scale: s)] + (hflip ? [TTATransform(scale: s, flipX: true)] : [])
        + (vflip ? [TTATransform(scale: s, flipY: true)] : [])
    }
  }

  public var isNone: Bool { transforms == [TTATransform()] }

  public var description: String { transforms.map(\.description).joined(separator: ", ") }
}
