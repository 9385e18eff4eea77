import Foundation
import SegData
import WeightIO
import XCTest

/// Weight files whose model configuration is absurd: exit status 1 naming the file, not a trap
/// converting a channel count of 6.4e31 to Int.
final class BadWeightsTests: XCTestCase {
  func testAbsurdModelConfigurationInWeightsNamesTheFile() throws {
    let dir = try makeTempDir(self)
    let weights = dir.appendingPathComponent("evil.safetensors")
    try SafeTensors.write(
      ["x": HostArray(shape: [1], floats: [0])],
      metadata: ["fcn.config": #"{"name": "fcn8s", "classes": 3, "width": 1e30}"#], to: weights)
    let image = dir.appendingPathComponent("in.png")
    try Data(try encodePNG(RGBImage(width: 40, height: 30))).write(to: image)
    let r = try FCNExecutable.run(
      [
        "predict", "--weights", weights.path, "--input", image.path, "--output", dir.appendingPathComponent("out").path,
      ],
      outputIn: dir, timeout: 60)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains(weights.path), r.stderr)
    XCTAssertTrue(r.stderr.contains("parameters"), r.stderr)
  }

  func testAbsurdWidthOnTheCommandLineIsRefused() throws {
    let dir = try makeTempDir(self)
    let r = try FCNExecutable.run(["info", "--model", "fcn8s", "--width", "1e30"], outputIn: dir, timeout: 60)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("width"), r.stderr)
  }

  /// Found by tools/fuzz.py: a checkpoint missing one tensor, or whose configuration disagrees
  /// with its tensors, failed with "state_dict lacks … conv4_2.bias" and no file name.
  func testWeightsThatDoNotFitTheirModelNameTheFile() throws {
    let dir = try makeTempDir(self)
    let (tensors, metadata) = try SafeTensors.read(contentsOf: try TinyRun.weights())
    let image = dir.appendingPathComponent("in.png")
    try Data(try encodePNG(RGBImage(width: 40, height: 30))).write(to: image)
    let missing = dir.appendingPathComponent("missing.safetensors")
    let key = try XCTUnwrap(tensors.keys.sorted().first { $0.hasSuffix(".bias") })
    try SafeTensors.write(tensors.filter { $0.key != key }, metadata: metadata, to: missing)
    let r = try FCNExecutable.run(
      [
        "predict", "--weights", missing.path, "--input", image.path, "--output", dir.appendingPathComponent("out").path,
      ],
      outputIn: dir, timeout: 60)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains(missing.path) && r.stderr.contains(key), r.stderr)
  }
}
