import Foundation
import WeightIO
import XCTest

/// `fcn train` killed with SIGKILL (no handler, no flush — a crash, the OOM killer, a pulled
/// plug) and continued with `--resume` must end with exactly the weights of a run that was
/// never interrupted, and every checkpoint anyone can see on disk must be a whole file.
final class KillResumeTests: XCTestCase {
  static let steps = 60
  /// Kill points: checkpoint steps after which run B is killed (mid-way, twice, so a resumed
  /// run is itself killed and resumed).
  static let killAfter = [15, 35]

  func testKilledAndResumedRunEqualsUninterruptedRunBitForBit() throws {
    let dir = try makeTempDir(self)
    let a = dir.appendingPathComponent("a")
    let b = dir.appendingPathComponent("b")
    let straight = try FCNExecutable.run(TinyRun.trainArguments(run: a, steps: Self.steps), outputIn: dir)
    XCTAssertEqual(straight.status, 0, straight.stderr)

    let lastB = b.appendingPathComponent("checkpoints/last.safetensors")
    var arguments = TinyRun.trainArguments(run: b, steps: Self.steps)
    var resumedFrom = [Int]()
    for target in Self.killAfter {
      let running = try FCNExecutable.Running(arguments, outputIn: dir)
      // Poll the checkpoint while it is being rewritten every step: each read must see a whole
      // file (old or new), never a torn one — that is what the atomic write promises.
      // Each new version is read once (a rename gives it a new inode; an in-place rewrite would
      // change its size or time), which keeps the poller from starving the trainer of CPU.
      var reads = 0
      var seen = 0
      var lastVersion: String?
      let deadline = Date().addingTimeInterval(120)
      while seen < target && Date() < deadline && running.process.isRunning {
        if let version = fileVersion(lastB), version != lastVersion {
          do { seen = try checkpointStep(lastB) } catch {
            running.kill()
            _ = running.wait()
            throw error
          }
          (reads, lastVersion) = (reads + 1, version)
        }
        usleep(500)
      }
      running.kill()
      let killed = running.wait()
      XCTAssertTrue(
        running.wasKilledBySignal,
        "run B finished (status \(killed.status)) before it could be killed at step \(target); raise steps")
      XCTAssertGreaterThan(reads, 0)
      // After the kill the checkpoint is still a valid file with a step we can resume from.
      let step = try checkpointStep(lastB)
      XCTAssertGreaterThanOrEqual(step, target)
      XCTAssertLessThan(step, Self.steps, "killed at step \(step): not mid-way")
      resumedFrom.append(step)
      print(
        "kill/resume: run B killed with SIGKILL, last checkpoint at step \(step) (\(reads) versions read while training, all whole)"
      )
      arguments = TinyRun.trainArguments(run: b, steps: Self.steps) + ["--resume"]
      // What a kill during the checkpoint's write leaves (it happens, but not on cue): the
      // temporary file of the dead writer, which the resumed run must clean up.
      let abandoned = lastB.deletingLastPathComponent().appendingPathComponent(".last.safetensors.tmp-\(running.pid)-1")
      XCTAssertTrue(FileManager.default.createFile(atPath: abandoned.path, contents: Data(count: 4096)))
    }
    let resumed = try FCNExecutable.run(arguments, outputIn: dir)
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("resuming"), resumed.stdout)

    // Model weights, optimiser state and the train state (step, loader position, dropout RNG).
    let (tensorsA, metadataA) = try SafeTensors.read(
      contentsOf: a.appendingPathComponent("checkpoints/last.safetensors"))
    let (tensorsB, metadataB) = try SafeTensors.read(contentsOf: lastB)
    XCTAssertEqual(Set(tensorsA.keys), Set(tensorsB.keys))
    XCTAssertFalse(tensorsA.isEmpty)
    let differing = tensorsA.filter { name, x in x.shape != tensorsB[name]?.shape || x.bytes != tensorsB[name]?.bytes }
      .keys.sorted()
    XCTAssertEqual(
      differing, [],
      "\(differing.count) of \(tensorsA.count) tensors differ after kill + resume from steps \(resumedFrom)")
    XCTAssertEqual(try trainState(metadataA), try trainState(metadataB))
    XCTAssertEqual(try trainState(metadataA)["step"] as? Int, Self.steps)
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: lastB.deletingLastPathComponent().path).sorted(),
      ["best.safetensors", "last.safetensors"], "nothing left behind by the killed runs")
    // The final evaluation saw the same weights, so the metrics file matches to the byte.
    XCTAssertEqual(
      try Data(contentsOf: a.appendingPathComponent("metrics.json")),
      try Data(contentsOf: b.appendingPathComponent("metrics.json")))
  }

  /// Inode, size and modification time; nil while the file does not exist.
  func fileVersion(_ url: URL) -> String? {
    guard let a = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
    let time = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    return "\(a[.systemFileNumber] ?? "") \(a[.size] ?? "") \(time)"
  }

  /// The training step a checkpoint was written at; throws if the file is not a whole checkpoint.
  func checkpointStep(_ url: URL) throws -> Int {
    let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
    XCTAssertFalse(tensors.isEmpty, "\(url.path): no tensors")
    guard let step = try trainState(metadata)["step"] as? Int else { throw Unreadable(url: url) }
    return step
  }

  /// The checkpoint's train state, with its embedded model-config JSON string parsed too
  /// (JSONEncoder's key order differs from process to process).
  func trainState(_ metadata: [String: String]) throws -> NSDictionary {
    guard let json = metadata["swift_fcn_train_state"],
      let state = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary,
      let config = state["modelConfig"] as? String
    else { throw Unreadable(url: nil) }
    let parsed = state.mutableCopy() as! NSMutableDictionary
    parsed["modelConfig"] = try JSONSerialization.jsonObject(with: Data(config.utf8))
    return parsed
  }

  struct Unreadable: Error { var url: URL? }
}
