import Foundation
import Inference
import WeightIO
import XCTest

/// The submission CSV and the probabilities .npy: exact bytes, read-back, and that nothing
/// reaches the target before `finish()` (an earlier file stays intact until then).
final class WriterTests: XCTestCase {
  func tempDir() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-inference-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
  }

  func testSubmissionRowsAreResizedFlattenedAndWrittenOnlyAtFinish() throws {
    let dir = try tempDir()
    let path = dir.appendingPathComponent("submission.csv").path
    try "old".write(toFile: path, atomically: true, encoding: .utf8)
    let writer = try SubmissionWriter(path: path, height: 2, width: 3)
    // 3 × 5 labels → 2 × 3: rows 0, 1 and columns 0, 1, 3 (OpenCV INTER_NEAREST).
    let labels: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    try writer.append(imageID: "batch_01_vt/0021.jpg", labels: labels, height: 3, width: 5)
    try writer.append(imageID: "odd, \"name\".jpg", labels: [7, 7, 7, 7, 7, 7], height: 2, width: 3)
    XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old", "target untouched before finish")
    try writer.finish()
    XCTAssertEqual(
      try String(contentsOfFile: path, encoding: .utf8),
      "image_id,PredictionString\nbatch_01_vt/0021.jpg,0 1 3 5 6 8\n\"odd, \"\"name\"\".jpg\",7 7 7 7 7 7\n")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["submission.csv"])
  }

  func testAbandonedSubmissionLeavesTheOldFileAndNoTemporary() throws {
    let dir = try tempDir()
    let path = dir.appendingPathComponent("submission.csv").path
    try "old".write(toFile: path, atomically: true, encoding: .utf8)
    do {
      let writer = try SubmissionWriter(path: path, height: 1, width: 1)
      try writer.append(imageID: "a.jpg", labels: [1], height: 1, width: 1)
      // Dropped without finish(): what an error part-way through does.
    }
    XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["submission.csv"])
    XCTAssertThrowsError(
      try SubmissionWriter(path: dir.appendingPathComponent("no/such/dir.csv").path, height: 1, width: 1))
  }

  func testProbabilityFilesReadBackAsNCHWInBothDtypes() throws {
    let dir = try tempDir()
    let maps = (0..<3).map { n in
      ProbabilityMap(classes: 2, height: 3, width: 4, values: (0..<24).map { Float(n * 24 + $0) / 71 })
    }
    for dtype in ProbabilityDType.allCases {
      let url = dir.appendingPathComponent("p-\(dtype).npy")
      let writer = try ProbabilityFileWriter(path: url.path, dtype: dtype, classes: 2)
      for (i, m) in maps.enumerated() { try writer.append(m, name: "img\(i).png") }
      XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
      try writer.finish()
      let a = try NumPy.read(contentsOf: url)
      XCTAssertEqual(a.shape, [3, 2, 3, 4])
      XCTAssertEqual(a.dtype, dtype == .float16 ? .f16 : .f32)
      let got = try a.floats()
      let want = maps.flatMap(\.values)
      let worst = zip(got, want).map { abs($0 - $1) }.max()!
      XCTAssertLessThan(worst, dtype == .float16 ? 5e-4 : 1e-9, "\(dtype)")
    }
  }

  func testProbabilityFileRefusesASecondSizeNamingTheImage() throws {
    let dir = try tempDir()
    let url = dir.appendingPathComponent("p.npy")
    let writer = try ProbabilityFileWriter(path: url.path, dtype: .float32, classes: 2)
    try writer.append(.zeros(classes: 2, height: 3, width: 4), name: "first.png")
    XCTAssertThrowsError(try writer.append(.zeros(classes: 2, height: 4, width: 3), name: "second.png")) {
      XCTAssertTrue("\($0)".contains("second.png"), "\($0)")
    }
    writer.abandon()
    XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    // No image at all: an empty (0, C, 0, 0) array, still a valid .npy.
    let empty = try ProbabilityFileWriter(path: url.path, dtype: .float32, classes: 2)
    try empty.finish()
    XCTAssertEqual(try NumPy.read(contentsOf: url).shape, [0, 2, 0, 0])
  }
}
