import Foundation
import XCTest

@testable import WeightIO

/// Temporary files of killed writers are cleaned up; those of live writers and other files stay.
final class AtomicFileTests: XCTestCase {
  func testAbandonedTemporaryFilesOfDeadProcessesAreRemoved() throws {
    let dir = try makeTemporaryDirectory(self)
    // No process has this id (Linux pids stay below 2^22); ours is alive.
    let dead = ".last.safetensors.tmp-2147483000-12345"
    let live = ".last.safetensors.tmp-\(getpid())-678"
    let others = ["last.safetensors", ".hidden", ".notes.tmp-abc-1", "best.safetensors"]
    for name in [dead, live] + others {
      XCTAssertTrue(
        FileManager.default.createFile(atPath: dir.appendingPathComponent(name).path, contents: Data([1, 2, 3])))
    }
    XCTAssertEqual(removeAbandonedTemporaryFiles(in: dir), [dead])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ([live] + others).sorted())
  }

  func testAFailedWriteLeavesNoTemporaryFile() throws {
    let dir = try makeTemporaryDirectory(self)
    // Renaming a file over a non-empty directory fails after the temporary file was written.
    let target = dir.appendingPathComponent("taken")
    try FileManager.default.createDirectory(
      at: target.appendingPathComponent("inside"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: target))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["taken"])
  }
}
