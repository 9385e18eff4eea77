import Foundation
import SegData
import WeightIO
import XCTest

/// `fcn quantize`, then `fcn predict|eval` on the int8 file; damaged or mismatched int8 files
/// exit 1 with the file named.
final class QuantizeTests: XCTestCase {
  func quantize(_ dir: URL, extra: [String] = []) throws -> URL {
    let out = dir.appendingPathComponent("model.int8.safetensors")
    let q = try FCNExecutable.run(
      [
        "quantize", "--weights", try TinyRun.weights().path, "--data", "synthetic:8", "--calib", "4", "--out",
        out.path,
      ] + extra, outputIn: dir)
    XCTAssertEqual(q.status, 0, q.stderr)
    XCTAssertTrue(q.stdout.contains("to int8"), q.stdout)
    return out
  }

  func image(_ dir: URL) throws -> URL {
    let url = dir.appendingPathComponent("img.png")
    try writeImage(try SyntheticShapes(count: 2, width: 45, height: 37, seed: 4).sample(at: 1).image, to: url.path)
    return url
  }

  func testInt8PredictionCloseToFP32AndEvalRuns() throws {
    let dir = try makeTempDir(self)
    let int8 = try quantize(dir, extra: ["--keep-fp32", "none", "--method", "minmax"])
    let img = try image(dir)
    var logits: [String: [Float]] = [:]
    for (name, weights) in [("fp32", try TinyRun.weights().path), ("int8", int8.path)] {
      let npy = dir.appendingPathComponent("\(name).npy")
      let p = try FCNExecutable.run(
        ["predict", "--weights", weights, "--input", img.path, "--save-logits", npy.path], outputIn: dir)
      XCTAssertEqual(p.status, 0, p.stderr)
      let a = try NumPy.read(contentsOf: npy)
      XCTAssertEqual(a.shape, [1, TinyRun.classes, 37, 45])
      logits[name] = try a.floats()
    }
    let (a, b) = (logits["int8"]!, logits["fp32"]!)
    let num = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0 - $1.1), 2) }
    let den = b.reduce(0.0) { $0 + Double($1 * $1) }
    // A 10-layer 1/16-width net, every convolution int8: see Int8NetworkTests for the bound.
    XCTAssertLessThan((num / den).squareRoot(), 0.15)
    XCTAssertNotEqual(a, b, "the int8 file must actually run in int8")

    let e = try FCNExecutable.run(["eval", "--weights", int8.path, "--data", "synthetic:8"], outputIn: dir)
    XCTAssertEqual(e.status, 0, e.stderr)
    XCTAssertTrue(e.stdout.contains("IoU"), e.stdout)
  }

  func testDamagedAndMismatchedInt8FilesExit1() throws {
    let dir = try makeTempDir(self)
    let int8 = try quantize(dir)
    let img = try image(dir)
    let (tensors, metadata) = try SafeTensors.read(contentsOf: int8)

    func expectExit1(_ file: URL, _ what: String, mentions: String) throws {
      let p = try FCNExecutable.run(
        ["predict", "--weights", file.path, "--input", img.path, "--output", dir.appendingPathComponent("o").path],
        outputIn: dir)
      XCTAssertEqual(p.status, 1, "\(what): \(p.stderr)")
      XCTAssertTrue(p.stderr.contains(file.path) && p.stderr.contains(mentions), "\(what): \(p.stderr)")
    }
    let truncated = dir.appendingPathComponent("truncated.int8.safetensors")
    let bytes = try Data(contentsOf: int8)
    try bytes.prefix(bytes.count - 100).write(to: truncated)
    try expectExit1(truncated, "truncated", mentions: "data_offsets")

    let scale = tensors.keys.sorted().first { $0.hasSuffix(".weight_scale") }!
    var t = tensors
    t[scale] = nil
    let missing = dir.appendingPathComponent("missing.int8.safetensors")
    try SafeTensors.write(t, metadata: metadata, to: missing)
    try expectExit1(missing, "missing scale", mentions: scale)

    var m = metadata
    m["fcn.config"] = metadata["fcn.config"]!.replacingOccurrences(
      of: "\"classes\":\(TinyRun.classes)", with: "\"classes\":11")
    let other = dir.appendingPathComponent("other.int8.safetensors")
    try SafeTensors.write(tensors, metadata: m, to: other)
    try expectExit1(other, "another class count", mentions: "needs")

    // --run R with an int8 file quantised from another model than R's.
    let run = dir.appendingPathComponent("run")
    try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
    try "{\"model\": \(m["fcn.config"]!)}".write(
      to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    let r = try FCNExecutable.run(
      [
        "predict", "--run", run.path, "--weights", int8.path, "--input", img.path, "--output",
        dir.appendingPathComponent("o").path,
      ],
      outputIn: dir)
    XCTAssertEqual(r.status, 1, r.stderr)
    XCTAssertTrue(r.stderr.contains("was not quantised from"), r.stderr)

    // Quantising an int8 file again is refused, and nothing is written.
    let again = dir.appendingPathComponent("again.int8.safetensors")
    let q = try FCNExecutable.run(
      ["quantize", "--weights", int8.path, "--data", "synthetic:8", "--calib", "2", "--out", again.path], outputIn: dir)
    XCTAssertEqual(q.status, 1, q.stderr)
    XCTAssertTrue(q.stderr.contains("already an int8 model"), q.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: again.path))

    let bad = try FCNExecutable.run(
      ["quantize", "--weights", int8.path, "--method", "median", "--out", again.path], outputIn: dir)
    XCTAssertEqual(bad.status, 2, bad.stderr)
  }
}
