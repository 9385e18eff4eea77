import Foundation
import SegData
import WeightIO
import XCTest

/// `fcn train` on data or settings that cannot train: it stops with exit status 1 and a
/// message naming the file (or the step), and keeps what it had written.
final class BadTrainingInputTests: XCTestCase {
  /// A folder data set without classes.txt infers its class count from the masks; one stray
  /// value (77) must be reported as that mask's problem, not as "the data set has 78 classes".
  func testStrayMaskLabelNamesTheMaskAndTheLabel() throws {
    let dir = try makeTempDir(self)
    let data = dir.appendingPathComponent("data")
    for sub in ["images", "masks"] {
      try FileManager.default.createDirectory(at: data.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    for (name, stray) in [("a", false), ("b", true), ("c", false), ("d", false)] {
      let sample = try SyntheticShapes(count: 1, width: 32, height: 32, seed: 7).sample(at: 0)
      var mask = LabelMap(width: 32, height: 32, labels: sample.mask.labels.map { min($0, 2) })
      if stray { mask[5, 6] = 77 }
      try Data(try encodePNG(sample.image)).write(to: data.appendingPathComponent("images/\(name).png"))
      try Data(try encodeGrayPNG(mask)).write(to: data.appendingPathComponent("masks/\(name).png"))
    }
    let run = dir.appendingPathComponent("run")
    let r = try FCN.run(
      TinyRun.trainArguments(run: run, steps: 2) + ["--data", "folder:\(data.path)", "--classes", "3"], outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)
    let maskPath = data.appendingPathComponent("masks/b.png").path
    for needle in [maskPath, "label 77", "< 3", "255"] {
      XCTAssertTrue(r.stderr.contains(needle), "stderr should contain \(needle): \(r.stderr)")
    }
    XCTAssertFalse(r.stderr.contains("78 classes"), r.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.path), "no run folder for a run that never started")
  }
}
