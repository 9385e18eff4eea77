import Foundation
import WeightIO
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// `mpirun -np 2 fcn train`: two processes with half of every global batch each must train to
/// the weights one process reaches with the whole batch (summed gradients, the cross-entropy
/// normalised over both processes' pixels, dropout masks drawn for the global batch, and with
/// --sync-bn BatchNorm statistics of the global batch), and may resume with any number of
/// processes. Skipped, with the reason printed, where mpirun is not installed.
final class DataParallelTests: XCTestCase {
  /// Tiny nets on 64×64 synthetic images: fcn8s (dropout, no BatchNorm) and the course FCN-8
  /// (VGG19-BN, dropout).
  static let fcn8s = ["--model", "fcn8s", "--head", "compact", "--width", "0.0625", "--fc", "16"]
  static let course = ["--model", "course-fcn8", "--width", "0.0625", "--fc", "16"]
  static let tolerance: Float = 1e-5

  static func arguments(_ model: [String], run: URL, batch: Int = 4, steps: Int = 10, extra: [String] = []) -> [String]
  {
    ["train"] + model + [
      "--data", "synthetic:16", "--synthetic-size", "64x64", "--batch", "\(batch)", "--steps", "\(steps)",
      "--checkpoint-every", "1", "--seed", "5", "--workers", "1", "--run", run.path,
    ] + extra
  }

  func testTwoProcessesMatchOneProcessFCN8s() throws {
    try checkTwoMatchOne(Self.fcn8s, extra: [])
  }

  /// Measured 8.5e-6 (conv1.4.running_mean: --sync-bn sums the statistics in double, one
  /// process lets oneDNN sum them in float); one process with 1 and with 2 threads differs by
  /// up to 9.6e-6 here, so the 1e-5 bound sits at the float noise floor of this configuration.
  func testTwoProcessesWithSyncBNMatchOneProcessCourseFCN8() throws {
    try checkTwoMatchOne(Self.course, extra: ["--sync-bn"])
  }

  /// 2 processes × batch 2 against 1 process × batch 4, and (so that the comparison can fail)
  /// 1 process × batch 2, which must differ by far more than the tolerance.
  func checkTwoMatchOne(_ model: [String], extra: [String]) throws {
    _ = try MPIRun.launcher()
    let dir = try makeTempDir(self)
    let (one, two, half) = (
      dir.appendingPathComponent("one"), dir.appendingPathComponent("two"), dir.appendingPathComponent("half")
    )
    let single = try FCNExecutable.run(Self.arguments(model, run: one, extra: extra), outputIn: dir)
    XCTAssertEqual(single.status, 0, single.stderr)
    let pair = try MPIRun.run(processes: 2, Self.arguments(model, run: two, extra: extra), outputIn: dir)
    XCTAssertEqual(pair.status, 0, pair.stdout + pair.stderr)
    let small = try FCNExecutable.run(Self.arguments(model, run: half, batch: 2, extra: extra), outputIn: dir)
    XCTAssertEqual(small.status, 0, small.stderr)

    let error = try relativeDifference(one, two)
    print(
      "data-parallel \(model[1]) \(extra): 2×2 vs 1×4 after 10 steps: largest relative difference \(error.value) (\(error.tensor))"
    )
    XCTAssertLessThanOrEqual(error.value, Self.tolerance, "tensor \(error.tensor)")
    XCTAssertGreaterThan(
      try relativeDifference(one, half).value, 100 * Self.tolerance, "batch 2 should train differently")

    // Only rank 0 wrote, and it recorded the job.
    let config = try String(contentsOf: two.appendingPathComponent("config.json"), encoding: .utf8)
    XCTAssertTrue(config.contains("\"worldSize\" : 2"), config)
    let log = try String(contentsOf: two.appendingPathComponent("log.jsonl"), encoding: .utf8)
    let steps = log.split(separator: "\n").filter { $0.contains("\"loss\"") }
    XCTAssertEqual(steps.count, 10, log)
    XCTAssertTrue(steps.allSatisfy { $0.contains("\"allreduce_wait_s\"") }, log)
    XCTAssertEqual(pair.stdout.components(separatedBy: "training ").count - 1, 1, "one process prints: \(pair.stdout)")
    // The validation split is scored half on each process and the matrices added: every
    // validation pixel counted once, as in one process.
    let countedOne = try countedPixels(one)
    XCTAssertGreaterThan(countedOne, 0)
    XCTAssertEqual(countedOne, try countedPixels(two))
  }

  /// Stopped after 5 steps with 2 processes, continued with 1 to step 10: the weights of 10
  /// steps in one process. A constant rate, so the shorter first run's schedule is the same, and a
  /// small one: at a constant 0.01 this tiny net is chaotic enough that one process with 1 and
  /// with 2 threads already ends 1e-4 apart; at 0.002 they agree to 1e-6.
  func testTwoProcessRunResumesWithOneProcess() throws {
    _ = try MPIRun.launcher()
    let dir = try makeTempDir(self)
    let (straight, split) = (dir.appendingPathComponent("straight"), dir.appendingPathComponent("split"))
    let constant = ["--schedule", "constant", "--lr", "0.002"]
    let a = try FCNExecutable.run(Self.arguments(Self.fcn8s, run: straight, extra: constant), outputIn: dir)
    XCTAssertEqual(a.status, 0, a.stderr)
    let first = try MPIRun.run(
      processes: 2, Self.arguments(Self.fcn8s, run: split, steps: 5, extra: constant), outputIn: dir)
    XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
    let rest = try FCNExecutable.run(
      Self.arguments(Self.fcn8s, run: split, steps: 10, extra: constant + ["--resume"]), outputIn: dir)
    XCTAssertEqual(rest.status, 0, rest.stderr)
    XCTAssertTrue(rest.stdout.contains("resuming"), rest.stdout)
    let error = try relativeDifference(straight, split)
    print("data-parallel resume: 5 steps × 2 processes + 5 × 1 vs 10 × 1: largest relative difference \(error.value)")
    XCTAssertLessThanOrEqual(error.value, Self.tolerance, "tensor \(error.tensor)")
  }

  /// SIGKILL to rank 1 mid-run: the job ends within 60 s, the launcher names the lost rank, the
  /// last checkpoint is whole, and a 2-process --resume finishes with the uninterrupted weights.
  func testKilledRankEndsTheJobAndItResumes() throws {
    _ = try MPIRun.launcher()
    let dir = try makeTempDir(self)
    let (straight, killed) = (dir.appendingPathComponent("straight"), dir.appendingPathComponent("killed"))
    let steps = 40
    let a = try FCNExecutable.run(Self.arguments(Self.fcn8s, run: straight, steps: steps), outputIn: dir)
    XCTAssertEqual(a.status, 0, a.stderr)

    let job = try MPIRun.Running(processes: 2, Self.arguments(Self.fcn8s, run: killed, steps: steps), outputIn: dir)
    let last = killed.appendingPathComponent("checkpoints/last.safetensors")
    let deadline = Date().addingTimeInterval(120)
    while job.process.isRunning && Date() < deadline && ((try? checkpointStep(last)) ?? 0) < 3 { usleep(2_000) }
    let ranks = job.ranks()
    guard let victim = ranks[1] else {
      _ = job.wait()
      return XCTFail("rank 1 not found among mpirun's children (\(ranks)); the run ended before the kill")
    }
    kill(victim, SIGKILL)
    let killedAt = Date()
    let result = job.wait(timeout: 90)
    let seconds = Date().timeIntervalSince(killedAt)
    print(
      "data-parallel: rank 1 killed; the job ended \(String(format: "%.2f", seconds)) s later with status \(result.status)"
    )
    XCTAssertLessThan(seconds, 60)
    XCTAssertNotEqual(result.status, 0)
    let said = result.stdout + result.stderr
    XCTAssertTrue(said.contains("rank 1"), said)
    let step = try checkpointStep(last)
    XCTAssertLessThan(step, steps, "killed at step \(step): not mid-way; raise steps")

    let resumed = try MPIRun.run(
      processes: 2, Self.arguments(Self.fcn8s, run: killed, steps: steps, extra: ["--resume"]), outputIn: dir)
    XCTAssertEqual(resumed.status, 0, resumed.stdout + resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("resuming"), resumed.stdout)
    let error = try relativeDifference(straight, killed)
    print(
      "data-parallel kill at step \(step) + 2-process resume vs 1 process: largest relative difference \(error.value)")
    XCTAssertLessThanOrEqual(error.value, Self.tolerance, "tensor \(error.tensor)")
  }

  /// Ranks started with different options stop with status 1 naming the option, and a global
  /// batch that does not split evenly is refused naming both numbers.
  func testMismatchedOptionsAndUnevenBatchAreRefused() throws {
    _ = try MPIRun.launcher()
    let dir = try makeTempDir(self)
    let run = dir.appendingPathComponent("run")
    let base = Self.arguments(Self.fcn8s, run: run, steps: 2)
    let mismatched = try MPIRun.Running(
      processes: 2, [], perRank: [base, base + ["--momentum", "0.5"]], outputIn: dir
    ).wait(timeout: 120)
    XCTAssertEqual(mismatched.status, 1, mismatched.stdout + mismatched.stderr)
    XCTAssertTrue(mismatched.stderr.contains("--momentum"), mismatched.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints").path))

    // Ranks whose oneDNN uses different instruction sets would lay blocked gradients out
    // differently: refused, naming the setting. SSE4.1 is below any machine this runs on.
    let mixed = try MPIRun.Running(
      processes: 2, [], perRank: [base, base], rankEnvironment: [[:], ["ONEDNN_MAX_CPU_ISA": "SSE41"]], outputIn: dir
    ).wait(timeout: 120)
    XCTAssertEqual(mixed.status, 1, mixed.stdout + mixed.stderr)
    XCTAssertTrue(mixed.stderr.contains("ONEDNN_MAX_CPU_ISA") && mixed.stderr.contains("sse41"), mixed.stderr)

    let uneven = try MPIRun.run(processes: 2, Self.arguments(Self.fcn8s, run: run, batch: 3, steps: 2), outputIn: dir)
    XCTAssertEqual(uneven.status, 1, uneven.stdout + uneven.stderr)
    XCTAssertTrue(uneven.stderr.contains("--batch 3") && uneven.stderr.contains("2 processes"), uneven.stderr)
  }

  // MARK: - helpers

  /// The largest over every model tensor (weights and BatchNorm statistics) and element of
  /// |a − b| / (1 + |a|) between two runs' last checkpoints: relative for weights of magnitude 1
  /// and above, absolute below (float32 closeness as torch.testing's atol/rtol). A purely relative
  /// measure is meaningless for tensors that stay at rounding-noise size: the course net's deep
  /// BatchNorm shifts end near 1e-8 after 10 steps, and one process with 1 and with 2 threads
  /// already differs by 7% there.
  func relativeDifference(_ a: URL, _ b: URL) throws -> (value: Float, tensor: String) {
    let (ta, _) = try SafeTensors.read(contentsOf: a.appendingPathComponent("checkpoints/last.safetensors"))
    let (tb, _) = try SafeTensors.read(contentsOf: b.appendingPathComponent("checkpoints/last.safetensors"))
    let names = ta.keys.filter { !$0.hasPrefix("optimizer/") && !$0.hasSuffix("num_batches_tracked") }.sorted()
    XCTAssertEqual(
      Set(names), Set(tb.keys.filter { !$0.hasPrefix("optimizer/") && !$0.hasSuffix("num_batches_tracked") }))
    var worst: (Float, String) = (0, "")
    for name in names {
      guard let x = try? ta[name]!.floats(), let y = try? tb[name]?.floats(), x.count == y.count else {
        XCTFail("\(name) missing or of another size")
        continue
      }
      let relative = zip(x, y).map { abs($0 - $1) / (1 + abs($0)) }.max() ?? 0
      if relative > worst.0 || worst.1.isEmpty { worst = (relative, name) }
    }
    return worst
  }

  /// The number of scored validation pixels in a run's metrics.json.
  func countedPixels(_ run: URL) throws -> Int {
    let data = try Data(contentsOf: run.appendingPathComponent("metrics.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return object?["countedPixels"] as? Int ?? -1
  }

  func checkpointStep(_ url: URL) throws -> Int {
    let (_, metadata) = try SafeTensors.read(contentsOf: url)
    guard let json = metadata["swift_fcn_train_state"],
      let state = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
      let step = state["step"] as? Int
    else { throw CocoaError(.fileReadCorruptFile) }
    return step
  }
}
