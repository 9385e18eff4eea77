import Foundation
import XCTest

@testable import SegData

let fixturesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A fresh temporary directory, removed when the test finishes.
func makeTempDir(_ test: XCTestCase) throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segdata-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
  return dir
}

/// A small image with distinct values everywhere (so misplacements show up).
func gradientImage(width: Int, height: Int) -> RGBImage {
  var img = RGBImage(width: width, height: height)
  for y in 0..<height {
    for x in 0..<width {
      let i = (y * width + x) * 3
      img.pixels[i] = UInt8((x * 255) / max(1, width - 1))
      img.pixels[i + 1] = UInt8((y * 255) / max(1, height - 1))
      img.pixels[i + 2] = UInt8((x * 7 + y * 13) % 256)
    }
  }
  return img
}

func XCTAssertThrowsDataError<T>(
  _ expr: @autoclosure () throws -> T, fileContains: String, problemContains: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  do {
    _ = try expr()
    XCTFail("expected a DataError", file: file, line: line)
  } catch let e as DataError {
    XCTAssertTrue(
      e.file.contains(fileContains), "file '\(e.file)' should contain '\(fileContains)'", file: file, line: line)
    XCTAssertTrue(
      e.problem.lowercased().contains(problemContains.lowercased()),
      "problem '\(e.problem)' should contain '\(problemContains)'", file: file, line: line)
  } catch {
    XCTFail("expected DataError, got \(error)", file: file, line: line)
  }
}
