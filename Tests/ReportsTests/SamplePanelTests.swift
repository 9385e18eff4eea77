import SegData
import XCTest

@testable import Reports

final class SamplePanelTests: XCTestCase {
  func testEveryPrintableCharacterHasItsOwnGlyph() {
    var seen = [[UInt8]: Character]()
    for code in 32...126 {
      let c = Character(UnicodeScalar(UInt8(code)))
      let rows = BitmapFont.glyphs[c]
      XCTAssertNotNil(rows, "no glyph for \(c)")
      XCTAssertEqual(rows?.count, BitmapFont.glyphHeight, "\(c)")
      XCTAssert(rows!.allSatisfy { $0 < 32 }, "\(c) wider than 5 pixels")
      if let other = seen[rows!] { XCTFail("\(c) looks like \(other)") }
      seen[rows!] = c
    }
  }

  func testTextInkMatchesTheGlyphBits() {
    var canvas = RasterCanvas(width: 100, height: 30)
    canvas.text("Hi 7%", x: 2, y: 2, scale: 2, (0, 0, 0))
    let ink = stride(from: 0, to: canvas.image.pixels.count, by: 3).filter { canvas.image.pixels[$0] == 0 }.count
    let bits = "Hi 7%".map { BitmapFont.rows(of: $0).map { $0.nonzeroBitCount }.reduce(0, +) }.reduce(0, +)
    XCTAssertEqual(ink, bits * 4)
  }

  /// Hand-computed: truth 0 0 1 1, prediction 0 1 1 1 → IoU(0) = 1/2, IoU(1) = 2/3.
  func testImageMeanIoU() throws {
    let image = RGBImage(width: 2, height: 2, fill: (100, 100, 100))
    let panel = SamplePanel(
      image: image, truth: LabelMap(width: 2, height: 2, labels: [0, 0, 1, 1]),
      prediction: LabelMap(width: 2, height: 2, labels: [0, 1, 1, 1]), classNames: ["bg", "thing"], name: "x")
    XCTAssertEqual(try panel.meanIoU()!, (0.5 + 2.0 / 3) / 2, accuracy: 1e-12)
    let ignored = SamplePanel(
      image: image, truth: LabelMap(width: 2, height: 2, labels: [255, 255, 255, 255]),
      prediction: LabelMap(width: 2, height: 2, labels: [0, 1, 1, 1]), classNames: ["bg", "thing"], name: "x")
    XCTAssertNil(try ignored.meanIoU())
  }

  /// The panel shows the three pictures, and its legend has a swatch in the exact colour of each
  /// class present (and only those).
  func testPanelLegendShowsPresentClassColours() throws {
    let w = 45
    let h = 37
    var truth = [UInt8](repeating: 0, count: w * h)
    var prediction = truth
    for i in 0..<(w * h) where i % w > 20 { truth[i] = 3 }
    for i in 0..<(w * h) where i % w > 25 { prediction[i] = 3 }
    for i in 0..<(w * 5) { prediction[i] = 7 }
    let names = (0..<11).map { "class name \($0)" }
    let panel = SamplePanel(
      image: RGBImage(width: w, height: h, fill: (200, 180, 160)), truth: LabelMap(width: w, height: h, labels: truth),
      prediction: LabelMap(width: w, height: h, labels: prediction), classNames: names, name: "sample 1")
    XCTAssertEqual(panel.presentClasses(), [0, 3, 7])
    let image = try panel.render()
    let zoom = 192 / h
    XCTAssertGreaterThanOrEqual(image.width, 3 * w * zoom)
    func contains(_ c: (UInt8, UInt8, UInt8)) -> Bool {
      stride(from: 0, to: image.pixels.count, by: 3).contains {
        image.pixels[$0] == c.0 && image.pixels[$0 + 1] == c.1 && image.pixels[$0 + 2] == c.2
      }
    }
    XCTAssertTrue(contains(VOCPalette.colours[3]))
    XCTAssertTrue(contains(VOCPalette.colours[7]))
    XCTAssertFalse(contains(VOCPalette.colours[5]), "class 5 is not in the image")
  }

  func testLongNamesAreCutToFit() {
    XCTAssertEqual(SamplePanel.fitted("abcdefghij", width: 6 * 2 * 6, scale: 2), "abc...")
    XCTAssertEqual(SamplePanel.fitted("café", width: 400, scale: 2), "caf?")
  }
}
