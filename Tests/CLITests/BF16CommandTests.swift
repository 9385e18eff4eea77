import Foundation
import SegData
import WeightIO
import XCTest

/// `--precision bf16` on the command line: refused (exit 1, naming the option and the ISA)
/// where oneDNN has no bf16 kernels — tested everywhere by capping oneDNN at AVX2 with
/// ONEDNN_MAX_CPU_ISA — and, where it runs, train (config.json records it, --resume keeps it),
/// eval and predict (logits close to fp32), with one warning line when oneDNN emulates bf16.
final class BF16CommandTests: XCTestCase {
  static let avx2Only = ["ONEDNN_MAX_CPU_ISA": "AVX2"]
  static let refusal = "no bf16 kernels for this CPU"

  func testEveryEntryPointRefusesBF16WithoutBF16Kernels() throws {
    let dir = try makeTempDir(self)
    let weights = try TinyRun.weights().path
    let img = dir.appendingPathComponent("img.png")
    try writeImage(try SyntheticShapes(count: 1, width: 40, height: 30, seed: 2).sample(at: 0).image, to: img.path)
    let commands: [[String]] = [
      TinyRun.trainArguments(run: dir.appendingPathComponent("run"), steps: 2) + ["--precision", "bf16"],
      ["eval", "--weights", weights, "--data", "synthetic:4", "--precision", "bf16"],
      [
        "predict", "--weights", weights, "--input", img.path, "--output", dir.appendingPathComponent("out").path,
        "--precision", "bf16",
      ],
      [
        "bench", "--model", "fcn8s", "--head", "compact", "--width", "0.0625", "--fc", "16", "--size", "32x32",
        "--steps", "1", "--warmup", "0", "--precision", "bf16",
      ],
    ]
    for arguments in commands {
      let r = try FCNExecutable.run(arguments, outputIn: dir, environment: Self.avx2Only)
      XCTAssertEqual(r.status, 1, "\(arguments[0]): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains("--precision bf16"), "\(arguments[0]): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains(Self.refusal), "\(arguments[0]): \(r.stderr)")
      XCTAssertTrue(r.stderr.contains("its ISA is avx2"), "\(arguments[0]): \(r.stderr)")
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/checkpoints").path),
      "a refused run writes nothing")
  }

  /// Where oneDNN runs bf16: a bf16 run, resumed without --precision, stays bf16; its
  /// checkpoint predicts in fp32 and bf16 with close logits; an int8 file is refused in bf16.
  func testTrainResumeEvalPredictInBF16() throws {
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let first = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 3) + ["--precision", "bf16"], outputIn: dir, timeout: 300)
    if first.status == 1 && first.stderr.contains(Self.refusal) {
      throw XCTSkip("oneDNN runs no bf16 on this CPU: \(first.stderr)")
    }
    XCTAssertEqual(first.status, 0, first.stderr)
    let warnings = first.stderr.split(separator: "\n").filter { $0.contains("bf16 arithmetic") }
    XCTAssertLessThanOrEqual(warnings.count, 1, "at most one emulation warning: \(first.stderr)")
    func recordedPrecision() throws -> String? {
      let json = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json")))
      return ((json as? [String: Any])?["train"] as? [String: Any])?["precision"] as? String
    }
    XCTAssertEqual(try recordedPrecision(), "bf16")
    let resumed = try FCNExecutable.run(
      TinyRun.trainArguments(run: run, steps: 5) + ["--resume"], outputIn: dir, timeout: 300)
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertEqual(try recordedPrecision(), "bf16", "--resume without --precision keeps the run's")

    let img = dir.appendingPathComponent("img.png")
    try writeImage(try SyntheticShapes(count: 2, width: 45, height: 37, seed: 4).sample(at: 1).image, to: img.path)
    var logits: [String: [Float]] = [:]
    for precision in ["fp32", "bf16"] {
      let npy = dir.appendingPathComponent("\(precision).npy")
      let p = try FCNExecutable.run(
        [
          "predict", "--weights", try TinyRun.weights().path, "--input", img.path, "--save-logits", npy.path,
          "--precision", precision,
        ], outputIn: dir)
      XCTAssertEqual(p.status, 0, p.stderr)
      logits[precision] = try NumPy.read(contentsOf: npy).floats()
    }
    let (a, b) = (logits["bf16"]!, logits["fp32"]!)
    let num = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0 - $1.1), 2) }
    let den = b.reduce(0.0) { $0 + Double($1 * $1) }
    XCTAssertLessThan((num / den).squareRoot(), 0.05, "bf16 vs fp32 logits (relative L2)")
    XCTAssertNotEqual(a, b, "bf16 must actually run in bf16")

    let e = try FCNExecutable.run(["eval", "--run", run.path, "--precision", "bf16"], outputIn: dir)
    XCTAssertEqual(e.status, 0, e.stderr)
    XCTAssertTrue(e.stdout.contains("IoU"), e.stdout)

    let int8 = dir.appendingPathComponent("model.int8.safetensors")
    let q = try FCNExecutable.run(
      [
        "quantize", "--weights", try TinyRun.weights().path, "--data", "synthetic:8", "--calib", "2", "--out",
        int8.path,
      ],
      outputIn: dir)
    XCTAssertEqual(q.status, 0, q.stderr)
    let refused = try FCNExecutable.run(
      ["eval", "--weights", int8.path, "--data", "synthetic:4", "--precision", "bf16"], outputIn: dir)
    XCTAssertEqual(refused.status, 1, refused.stderr)
    XCTAssertTrue(refused.stderr.contains("int8 model") && refused.stderr.contains(int8.path), refused.stderr)
  }
}
