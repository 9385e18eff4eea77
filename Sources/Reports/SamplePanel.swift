import SegData
import SegMetrics

/// One validation image as a person reads it: image | ground truth | prediction side by side
/// under their titles, the image's own mIoU, and a legend naming the colour of every class that
/// occurs in the ground truth or the prediction.
public struct SamplePanel {
  public var image: RGBImage
  /// nil when the sample has no ground truth (then only image | prediction).
  public var truth: LabelMap?
  public var prediction: LabelMap
  /// One name per class id; ids beyond it are shown as "class N".
  public var classNames: [String]
  /// A name for the heading (file stem or sample id).
  public var name: String

  public init(image: RGBImage, truth: LabelMap?, prediction: LabelMap, classNames: [String], name: String) {
    self.image = image
    self.truth = truth
    self.prediction = prediction
    self.classNames = classNames
    self.name = name
  }

  /// Weight of the class colour over the image in the mask panels: high enough that the colour
  /// in the panel is recognisably the legend's, low enough that the image shows through.
  static let maskAlpha = 0.65
  static let textScale = 2
  static let margin = 12
  static let gap = 10

  /// IoU averaged over the classes present in this image's ground truth or prediction (the
  /// same definition as the data set's mIoU, on one image); nil without ground truth or when
  /// every pixel is ignored.
  public func meanIoU() throws -> Double? {
    guard let truth else { return nil }
    let labelled = truth.labels.filter { $0 != LabelMap.ignore }
    let classes = max(classNames.count, Int(prediction.labels.max() ?? 0) + 1, Int(labelled.max() ?? 0) + 1)
    var matrix = try ConfusionMatrix(classes: classes, ignoreIndex: Int(LabelMap.ignore))
    try matrix.accumulate(predictions: prediction.labels.map { Int32($0) }, targets: truth.labels.map { Int32($0) })
    let m = matrix.meanIoU
    return m.isNaN ? nil : m
  }

  /// Display scale: small images are enlarged (integer, nearest) so each panel is at least
  /// 192 pixels tall; large ones shrunk to at most 384 tall and 512 wide.
  static func displaySize(width: Int, height: Int) -> (width: Int, height: Int) {
    if height < 192 {
      let zoom = max(1, 192 / max(height, 1))
      return (width * zoom, height * zoom)
    }
    let shrink = min(1, 384 / Double(height), 512 / Double(width))
    return (max(1, Int(Double(width) * shrink)), max(1, Int(Double(height) * shrink)))
  }

  func name(of id: Int) -> String {
    id < classNames.count ? classNames[id] : "class \(id)"
  }

  /// The classes to list: every id that occurs in the ground truth or the prediction.
  func presentClasses() -> [Int] {
    var present = Set(prediction.labels.map(Int.init))
    if let truth { present.formUnion(truth.labels.map(Int.init)) }
    present.remove(Int(LabelMap.ignore))
    return present.sorted()
  }

  public func render() throws -> RGBImage {
    let size = Self.displaySize(width: image.width, height: image.height)
    let shown = resizeNearest(image, width: size.width, height: size.height)
    var panels: [(String, RGBImage)] = [("image", shown)]
    if let truth {
      panels.append(("ground truth", masked(shown, resizeNearest(truth, width: size.width, height: size.height))))
    }
    panels.append(("prediction", masked(shown, resizeNearest(prediction, width: size.width, height: size.height))))

    let s = Self.textScale
    let line = BitmapFont.glyphHeight * s + 6
    let contentWidth = panels.count * size.width + (panels.count - 1) * Self.gap
    let legend = legendLayout(width: max(contentWidth, 360))
    let width = max(contentWidth, 360) + 2 * Self.margin
    let score = try meanIoU().map { String(format: "this image's mIoU: %.1f %%", $0 * 100) } ?? "no ground truth"
    let height = Self.margin + 2 * line + size.height + 8 + line + legend.height + Self.margin
    var canvas = RasterCanvas(width: width, height: height)

    var y = Self.margin
    canvas.text(Self.fitted(name, width: width - 2 * Self.margin, scale: s), x: Self.margin, y: y, scale: s)
    y += line
    for (k, (title, _)) in panels.enumerated() {
      canvas.text(title, x: Self.margin + k * (size.width + Self.gap), y: y, scale: s, (90, 90, 90))
    }
    y += line
    for (k, (_, picture)) in panels.enumerated() {
      canvas.paste(picture, x: Self.margin + k * (size.width + Self.gap), y: y)
    }
    y += size.height + 8
    canvas.text(score, x: Self.margin, y: y, scale: s)
    y += line
    for entry in legend.entries {
      // Class 0 is left uncoloured in the masks (see `masked`), so its swatch is empty too.
      if entry.id != 0 {
        canvas.fill(x: entry.x, y: y + entry.y, width: line - 6, height: line - 6, VOCPalette.colours[entry.id])
      }
      canvas.outline(x: entry.x, y: y + entry.y, width: line - 6, height: line - 6, (60, 60, 60))
      canvas.text(entry.label, x: entry.x + line, y: y + entry.y, scale: s)
    }
    return canvas.image
  }

  /// Legend entries flowed left to right, wrapping at `width`.
  func legendLayout(width: Int) -> (entries: [(id: Int, label: String, x: Int, y: Int)], height: Int) {
    let s = Self.textScale
    let line = BitmapFont.glyphHeight * s + 6
    var entries = [(id: Int, label: String, x: Int, y: Int)]()
    var x = 0
    var y = 0
    for id in presentClasses() {
      let label = Self.fitted(
        id == 0 ? "\(name(of: id)) (no colour)" : name(of: id), width: width - line, scale: s)
      let w = line + BitmapFont.width(of: label, scale: s) + 18
      if x > 0 && x + w > width {
        x = 0
        y += line + 4
      }
      entries.append((id, label, Self.margin + x, y))
      x += w
    }
    return (entries, entries.isEmpty ? 0 : y + line)
  }

  /// `text` cut with "..." so that it fits `width` pixels.
  static func fitted(_ text: String, width: Int, scale: Int) -> String {
    let ascii = String(text.map { $0.isASCII && !$0.isNewline ? $0 : "?" })
    let most = max(1, (width / scale + 1) / BitmapFont.advance)
    return ascii.count <= most ? ascii : String(ascii.prefix(max(most - 3, 0))) + "..."
  }

  /// The class colours blended over the image; background (0) and ignored pixels keep the
  /// image, so the objects stand out.
  func masked(_ picture: RGBImage, _ labels: LabelMap) -> RGBImage {
    overlay(picture, labels: labels, alpha: Self.maskAlpha)
  }
}
