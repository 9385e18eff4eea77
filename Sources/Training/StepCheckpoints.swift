import Foundation

/// `--keep-last K`: besides best and last, the K newest checkpoints of the run by step,
/// checkpoints/step-00000500.safetensors. Each is a hard link to the `last` just written (last is
/// replaced by a rename, so the link keeps this step's file; no second copy of the weights is
/// written), or a copy where the file system has no hard links; either is put in place by a
/// rename, so a kill never leaves a torn one.
struct StepCheckpoints {
  let run: RunFolder
  let keep: Int

  static let prefix = "step-"
  static let suffix = ".safetensors"

  func url(step: Int) -> URL {
    run.checkpoints.appendingPathComponent(Self.prefix + String(format: "%08d", step) + Self.suffix)
  }

  /// The step checkpoints on disk, oldest first.
  func existing() -> [(step: Int, url: URL)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: run.checkpoints.path)) ?? []
    return names.compactMap { name -> (Int, URL)? in
      guard name.hasPrefix(Self.prefix), name.hasSuffix(Self.suffix),
        let step = Int(name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count)), step >= 0
      else { return nil }
      return (step, run.checkpoints.appendingPathComponent(name))
    }.sorted { $0.0 < $1.0 }
  }

  /// Keeps `last` (just written at `step`) as step-…, then removes all but the newest `keep`.
  func keepLast(step: Int) throws {
    guard keep > 0 else { return }
    let fm = FileManager.default
    let target = url(step: step)
    let temporary = run.checkpoints.appendingPathComponent(
      ".\(target.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-1")
    try? fm.removeItem(at: temporary)
    do {
      do { try fm.linkItem(at: run.last, to: temporary) } catch { try fm.copyItem(at: run.last, to: temporary) }
      guard rename(temporary.path, target.path) == 0 else {
        throw TrainingError.io("cannot rename \(temporary.path) to \(target.path): \(String(cString: strerror(errno)))")
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw TrainingError.io("cannot keep \(target.path): \(error.localizedDescription)")
    }
    for old in existing().dropLast(keep) { try? fm.removeItem(at: old.url) }
  }
}
