import Foundation
import SegData
import WeightIO
import XCTest

/// `--tta`, ensembles, `--save-probs` and `--tile` from the command line: what the averaged
/// runs save equals the average of what separate runs save (to 1e-5).
final class TTAEnsembleTilingTests: XCTestCase {
  /// inputs/, hflipped/ and vflipped/ with the same two 37×45 images (mirrored by this test).
  func makeInputs(_ dir: URL) throws {
    for (folder, fx, fy) in [("inputs", false, false), ("hflipped", true, false), ("vflipped", false, true)] {
      let d = dir.appendingPathComponent(folder)
      try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
      for (i, name) in ["a.png", "b.png"].enumerated() {
        try writeImage(
          Competition.mirrored(Competition.image(i + 2), x: fx, y: fy), to: d.appendingPathComponent(name).path)
      }
    }
  }

  /// `fcn predict … --save-probs` of `folder`; returns the saved array.
  func probabilities(_ dir: URL, weights: [URL], folder: String, extra: [String] = []) throws -> (
    shape: [Int], values: [Float]
  ) {
    let out = dir.appendingPathComponent("p-\(UUID().uuidString.prefix(6)).npy")
    let r = try FCNExecutable.run(
      ["predict", "--input", dir.appendingPathComponent(folder).path, "--save-probs", out.path]
        + weights.flatMap { ["--weights", $0.path] } + extra, outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    return try Competition.probabilities(out)
  }

  func testTTAAndEnsemblesEqualTheAveragesOfSeparatelySavedProbabilities() throws {
    let dir = try makeTempDir(self)
    try makeInputs(dir)
    let w1 = try TinyRun.weights()
    let w2 = try Competition.otherWeights(in: dir)

    var plain: [[Float]] = []  // per model: as is, hflip undone, vflip undone
    var shape: [Int] = []
    for w in [w1, w2] {
      let p = try probabilities(dir, weights: [w], folder: "inputs")
      let h = try probabilities(dir, weights: [w], folder: "hflipped")
      let v = try probabilities(dir, weights: [w], folder: "vflipped")
      shape = p.shape
      plain += [
        p.values, Competition.mirrored(h.values, shape: shape, x: true, y: false),
        Competition.mirrored(v.values, shape: shape, x: false, y: true),
      ]
    }
    XCTAssertEqual(shape, [2, TinyRun.classes, 37, 45])
    XCTAssertGreaterThan(Competition.maxDifference(plain[0], plain[1]), 1e-3, "flips must change the prediction")
    XCTAssertGreaterThan(Competition.maxDifference(plain[0], plain[3]), 1e-3, "the two models must differ")
    func mean(_ items: [[Float]]) -> [Float] {
      (0..<items[0].count).map { i in items.reduce(0) { $0 + $1[i] } / Float(items.count) }
    }

    let tta = try probabilities(dir, weights: [w1], folder: "inputs", extra: ["--tta", "hflip,vflip"])
    XCTAssertEqual(tta.shape, shape)
    XCTAssertLessThan(Competition.maxDifference(tta.values, mean(Array(plain[0..<3]))), 1e-5, "TTA")

    let ensemble = try probabilities(dir, weights: [w1, w2], folder: "inputs")
    XCTAssertLessThan(Competition.maxDifference(ensemble.values, mean([plain[0], plain[3]])), 1e-5, "ensemble")

    let both = try probabilities(dir, weights: [w1, w2], folder: "inputs", extra: ["--tta", "hflip,vflip"])
    XCTAssertLessThan(Competition.maxDifference(both.values, mean(plain)), 1e-5, "ensemble with TTA")

    let half = dir.appendingPathComponent("half.npy")
    let r = try FCNExecutable.run(
      [
        "predict", "--weights", w1.path, "--weights", w2.path, "--input", dir.appendingPathComponent("inputs").path,
        "--save-probs", half.path, "--probs-dtype", "float16",
      ], outputIn: dir)
    XCTAssertEqual(r.status, 0, r.stderr)
    let h = try NumPy.read(contentsOf: half)
    XCTAssertEqual(h.dtype, .f16)
    XCTAssertEqual(h.shape, shape)
    XCTAssertLessThan(Competition.maxDifference(try h.floats(), ensemble.values), 1e-3, "float16 rounding only")
  }

  func testEnsembleOfModelsWithDifferentClassesExitsOneNamingBoth() throws {
    let dir = try makeTempDir(self)
    try makeInputs(dir)
    let run = dir.appendingPathComponent("eight")
    let t = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 2, checkpointEvery: 0) + ["--classes", "8"], outputIn: dir)
    XCTAssertEqual(t.status, 0, t.stderr)
    let eight = run.appendingPathComponent("checkpoints/last.safetensors")
    let six = try TinyRun.weights()
    for command in [
      [
        "predict", "--input", dir.appendingPathComponent("inputs").path, "--save-probs",
        dir.appendingPathComponent("p.npy").path,
      ],
      ["eval", "--data", "synthetic:20", "--tta", "hflip"],
    ] {
      let r = try FCNExecutable.run(command + ["--weights", six.path, "--weights", eight.path], outputIn: dir)
      XCTAssertEqual(r.status, 1, "\(command[0]): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(six.lastPathComponent) && r.stderr.contains(eight.path), r.stderr)
      XCTAssertTrue(r.stderr.contains("6") && r.stderr.contains("8"), r.stderr)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.npy").path))
  }

  func testOneTileCoveringTheImageEqualsWholeImageAndEvalAgrees() throws {
    let dir = try makeTempDir(self)
    try makeInputs(dir)
    let w = try TinyRun.weights()
    let whole = try probabilities(dir, weights: [w], folder: "inputs")
    for weights in ["uniform", "gaussian"] {
      let tiled = try probabilities(
        dir, weights: [w], folder: "inputs", extra: ["--tile", "40x64", "--overlap", "0.5", "--tile-weights", weights])
      XCTAssertLessThan(Competition.maxDifference(tiled.values, whole.values), 1e-6, weights)
    }
    // Several windows differ from whole-image inference (the net sees less context) but stay probabilities.
    let small = try probabilities(dir, weights: [w], folder: "inputs", extra: ["--tile", "24x24"])
    XCTAssertGreaterThan(Competition.maxDifference(small.values, whole.values), 1e-4)
    let sums = (0..<(2 * 37 * 45)).map { i -> Float in
      let (n, p) = (i / (37 * 45), i % (37 * 45))
      return (0..<TinyRun.classes).reduce(0) { $0 + small.values[(n * TinyRun.classes + $1) * 37 * 45 + p] }
    }
    XCTAssertLessThan(sums.map { abs($0 - 1) }.max()!, 1e-5)

    // eval: the same model twice, and one window covering each image, score exactly alike;
    // plain eval (argmax of logits rather than of probabilities) within rounding of them.
    var json: [String: Data] = [:]
    for (name, extra) in [("plain", []), ("twice", ["--weights", w.path]), ("tile", ["--tile", "64x64"])] {
      let out = dir.appendingPathComponent("\(name).json")
      let r = try FCNExecutable.run(
        ["eval", "--weights", w.path, "--data", "synthetic:40", "--json", out.path] + extra, outputIn: dir)
      XCTAssertEqual(r.status, 0, r.stderr)
      json[name] = try Data(contentsOf: out)
    }
    XCTAssertEqual(json["twice"], json["tile"])
    func miou(_ d: Data) throws -> Double {
      try XCTUnwrap((JSONSerialization.jsonObject(with: d) as? [String: Any])?["meanIoU"] as? Double)
    }
    XCTAssertEqual(try miou(json["plain"]!), try miou(json["twice"]!), accuracy: 1e-3)
  }

  /// The planner: under a memory limit the whole image does not fit, predict tiles by itself
  /// and says so (the result is what that --tile gives); with --no-tile it refuses, with advice.
  func testPredictTilesAutomaticallyOrRefusesUnderNoTile() throws {
    let dir = try makeTempDir(self)
    let big = dir.appendingPathComponent("big")
    try FileManager.default.createDirectory(at: big, withIntermediateDirectories: true)
    try writeImage(try Competition.image(1, width: 400, height: 300), to: big.appendingPathComponent("photo.png").path)
    let w = try TinyRun.weights().path
    let base = ["predict", "--weights", w, "--input", big.path]

    let refused = try FCNExecutable.run(
      base + ["--save-probs", dir.appendingPathComponent("x.npy").path, "--no-tile"], outputIn: dir,
      environment: ["FCN_MEMORY_LIMIT": "1K"])
    XCTAssertEqual(refused.status, 1, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("photo.png") && refused.stderr.contains("--no-tile"), refused.stderr)
    let whole = try XCTUnwrap(Competition.mebibytes(after: "whole needs about ", in: refused.stderr), refused.stderr)

    let probe = try FCNExecutable.run(
      base + ["--save-probs", dir.appendingPathComponent("t.npy").path, "--tile", "128x128"], outputIn: dir)
    XCTAssertEqual(probe.status, 0, probe.stderr)
    let tiled = try XCTUnwrap(Competition.mebibytes(after: "memory estimate ", in: probe.stderr), probe.stderr)
    XCTAssertLessThan(tiled, whole)

    let limit = Int((tiled + whole) / 2)
    let auto = try FCNExecutable.run(
      base + ["--save-probs", dir.appendingPathComponent("auto.npy").path], outputIn: dir,
      environment: ["FCN_MEMORY_LIMIT": "\(limit)"])
    XCTAssertEqual(auto.status, 0, auto.stderr)
    XCTAssertTrue(auto.stderr.contains("photo.png") && auto.stderr.contains("predicting it in"), auto.stderr)
    let chosen = try XCTUnwrap(
      auto.stderr.range(of: #"in \d+x\d+ \(HxW\)"#, options: .regularExpression).map { auto.stderr[$0] })
    let side = chosen.dropFirst(3).split(separator: "x")[0]
    let estimate = try XCTUnwrap(Competition.mebibytes(after: "memory estimate ", in: auto.stderr))
    XCTAssertLessThanOrEqual(estimate, Double(limit) * 1.001)
    let same = try probabilities(
      big.deletingLastPathComponent(), weights: [TinyRun.weights()], folder: "big",
      extra: ["--tile", "\(side)x\(side)"])
    let automatic = try Competition.probabilities(dir.appendingPathComponent("auto.npy"))
    XCTAssertEqual(automatic.values, same.values, "automatic tiling is that --tile")
  }
}
