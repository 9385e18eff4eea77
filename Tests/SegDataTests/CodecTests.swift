import XCTest

@testable import SegData

final class CodecTests: XCTestCase {
  func testPNGRoundTripRGB() throws {
    let img = gradientImage(width: 37, height: 23)
    let png = try encodePNG(img)
    XCTAssertEqual(try decodePNG(png, name: "rt.png"), img)
    XCTAssertEqual(try decodeImage(png, name: "rt.png"), img)
  }

  func testPalettePNGRoundTripKeepsIndicesAndVOCColours() throws {
    var labels = LabelMap(width: 9, height: 5)
    for i in 0..<labels.labels.count { labels.labels[i] = UInt8([0, 1, 2, 15, 20, 255][i % 6]) }
    let png = try encodePalettePNG(labels)
    XCTAssertEqual(try decodePNGLabels(png, name: "m.png"), labels)
    // As an image, index 1 is VOC aeroplane red (128, 0, 0); 255 is the border colour (224, 224, 192).
    let rgb = try decodePNG(png, name: "m.png")
    XCTAssertEqual(Array(rgb.pixels[3..<6]), [128, 0, 0])
    XCTAssertEqual(Array(rgb.pixels[15..<18]), [224, 224, 192])
  }

  func testGrayPNGRoundTrip() throws {
    var labels = LabelMap(width: 4, height: 3)
    for i in 0..<12 { labels.labels[i] = UInt8(i * 20) }
    XCTAssertEqual(try decodePNGLabels(try encodeGrayPNG(labels), name: "g.png"), labels)
    // A gray PNG read as an image repeats the value in R, G, B.
    let rgb = try decodePNG(try encodeGrayPNG(labels), name: "g.png")
    XCTAssertEqual(Array(rgb.pixels[3..<6]), [20, 20, 20])
  }

  func testColourMaskWithVOCColoursMapsToIndices() throws {
    let labels = LabelMap(width: 3, height: 1, labels: [0, 1, 15])
    let colour = VOCPalette.colourize(labels)
    XCTAssertEqual(try decodePNGLabels(try encodePNG(colour), name: "c.png"), labels)
  }

  func testPNGFixturesOfOtherLayouts() throws {
    // Written by tools/make_data_fixtures.py with Pillow: 16-bit gray, RGBA, 4-bit palette, 1-bit gray.
    let gray16 = try readLabelMap(fixturesDir.appendingPathComponent("codecs/gray16.png").path)
    XCTAssertEqual(gray16.labels, [0, 1, 2, 3, 250, 255])
    let rgba = try readImage(fixturesDir.appendingPathComponent("codecs/rgba.png").path)
    XCTAssertEqual(Array(rgba.pixels[0..<6]), [10, 20, 30, 200, 100, 50])
    let p4 = try readLabelMap(fixturesDir.appendingPathComponent("codecs/palette4.png").path)
    XCTAssertEqual(p4.labels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1])
    let g1 = try readLabelMap(fixturesDir.appendingPathComponent("codecs/gray1.png").path)
    XCTAssertEqual(g1.width, 10)
    XCTAssertEqual(g1.labels, (0..<30).map { UInt8(($0 % 10 + $0 / 10) % 2) })  // checkerboard, rows padded
    let p4img = try readImage(fixturesDir.appendingPathComponent("codecs/palette4.png").path)
    XCTAssertEqual(Array(p4img.pixels[3..<6]), [128, 0, 0])
  }

  func testJPEGRoundTripIsClose() throws {
    // A smooth image survives JPEG at quality 95 within a few levels per channel.
    var img = RGBImage(width: 48, height: 32)
    for y in 0..<32 {
      for x in 0..<48 {
        let i = (y * 48 + x) * 3
        img.pixels[i] = UInt8(x * 5)
        img.pixels[i + 1] = UInt8(y * 7)
        img.pixels[i + 2] = 128
      }
    }
    let jpg = try encodeJPEG(img, quality: 95)
    XCTAssertEqual(Array(jpg.prefix(3)), [0xFF, 0xD8, 0xFF])
    let back = try decodeImage(jpg, name: "rt.jpg")
    XCTAssertEqual(back.width, 48)
    XCTAssertEqual(back.height, 32)
    let maxDiff = zip(back.pixels, img.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    XCTAssertLessThanOrEqual(maxDiff, 8)
  }

  func testTruncatedPNGNamesFile() throws {
    let png = try encodePNG(gradientImage(width: 64, height: 64))
    let cut = Array(png.prefix(png.count / 2))
    XCTAssertThrowsDataError(try decodeImage(cut, name: "half.png"), fileContains: "half.png", problemContains: "PNG")
    XCTAssertThrowsDataError(
      try decodePNGLabels(cut, name: "half.png"), fileContains: "half.png", problemContains: "PNG")
  }

  func testTruncatedJPEGNamesFile() throws {
    let jpg = try encodeJPEG(gradientImage(width: 64, height: 64))
    let cut = Array(jpg.prefix(jpg.count / 2))
    XCTAssertThrowsDataError(
      try decodeImage(cut, name: "half.jpg"), fileContains: "half.jpg", problemContains: "truncated")
    // Only the header: still an error, never a crash.
    XCTAssertThrowsDataError(
      try decodeImage(Array(jpg.prefix(4)), name: "head.jpg"), fileContains: "head.jpg", problemContains: "JPEG")
  }

  func testEmptyAndNonImageFiles() throws {
    XCTAssertThrowsDataError(
      try decodeImage([], name: "empty.png"), fileContains: "empty.png", problemContains: "empty")
    XCTAssertThrowsDataError(
      try decodeImage(Array("hello, world".utf8), name: "notes.jpg"), fileContains: "notes.jpg",
      problemContains: "not a PNG or JPEG")
    XCTAssertThrowsDataError(
      try readImage("/nonexistent/x.png"), fileContains: "/nonexistent/x.png", problemContains: "not found")
  }

  func testJPEGMaskIsRefused() throws {
    let dir = try makeTempDir(self)
    let path = dir.appendingPathComponent("m.jpg").path
    try writeFileBytes(try encodeJPEG(gradientImage(width: 8, height: 8)), to: path)
    XCTAssertThrowsDataError(try readLabelMap(path), fileContains: "m.jpg", problemContains: "JPEG")
  }
}

final class VisualizationTests: XCTestCase {
  func testOverlayBlendsOnlyObjects() {
    let img = RGBImage(width: 3, height: 1, fill: (100, 100, 100))
    let out = overlay(img, labels: LabelMap(width: 3, height: 1, labels: [0, 1, 255]), alpha: 0.5)
    // Class 1 is VOC (128, 0, 0): halfway between 100 and 128 is 114; 0 → 50.
    XCTAssertEqual(out.pixels, [100, 100, 100, 114, 50, 50, 100, 100, 100])
  }

  func testWriteAndReadBack() throws {
    let dir = try makeTempDir(self)
    let labels = LabelMap(width: 2, height: 2, labels: [0, 3, 255, 20])
    try writeLabelMap(labels, to: dir.appendingPathComponent("m.png").path)
    XCTAssertEqual(try readLabelMap(dir.appendingPathComponent("m.png").path), labels)
    try writeImage(gradientImage(width: 8, height: 8), to: dir.appendingPathComponent("i.jpg").path)
    XCTAssertEqual(try readImage(dir.appendingPathComponent("i.jpg").path).width, 8)
  }
}
