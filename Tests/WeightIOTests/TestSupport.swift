import Foundation
import XCTest

@testable import WeightIO

/// Committed fixture files, found next to this source file so no Package.swift resources are needed.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A fresh empty directory under the system temp dir, removed at the end of the test.
func makeTemporaryDirectory(_ testCase: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("WeightIOTests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// Little-endian bytes of a value.
func leBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

func leBytes(_ value: Float) -> [UInt8] { leBytes(value.bitPattern) }

/// Asserts that `body` throws a WeightIOError whose message contains every fragment.
func assertWeightIOError<T>(
  _ body: @autoclosure () throws -> T, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line
) {
  do {
    _ = try body()
    XCTFail("expected a WeightIOError mentioning \(fragments)", file: file, line: line)
  } catch let error as WeightIOError {
    for fragment in fragments {
      XCTAssertTrue(
        error.description.contains(fragment), "error '\(error)' does not mention '\(fragment)'", file: file, line: line)
    }
  } catch {
    XCTFail("expected a WeightIOError, got \(error)", file: file, line: line)
  }
}

/// The pickle and storages of a torch checkpoint fixture, read with the package's zip reader.
struct ZIPArchiveFixture {
  var pickle: [UInt8] = []
  var storages: [String: [UInt8]] = [:]

  init(url: URL) throws {
    let archive = try ZipReader(contentsOf: url)
    for entry in archive.entries {
      let bytes = try archive.contents(of: entry)
      let parts = entry.path.split(separator: "/")
      if parts.last == "data.pkl" { pickle = bytes }
      if parts.count == 3, parts[1] == "data" { storages[String(parts[2])] = bytes }
    }
  }

  func storage(_ key: String) throws -> [UInt8] {
    guard let bytes = storages[key] else { throw WeightIOError(file: "fixture", key: key, "no storage") }
    return bytes
  }
}
