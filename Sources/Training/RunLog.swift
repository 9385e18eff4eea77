import Foundation

/// Appends one JSON object per line to `log.jsonl` in the run folder, flushed per line so that a
/// killed run keeps everything it logged.
public final class RunLog {
  private let handle: FileHandle
  public let path: String

  public init(path: String, truncate: Bool) throws {
    self.path = path
    let fm = FileManager.default
    if truncate || !fm.fileExists(atPath: path) { fm.createFile(atPath: path, contents: nil) }
    guard let h = FileHandle(forWritingAtPath: path) else {
      throw TrainingError.io("cannot open \(path) for writing")
    }
    handle = h
    handle.seekToEndOfFile()
  }

  deinit { try? handle.close() }

  /// Writes one record (StepRecord, EvaluationRecord) as a line of sorted-key JSON.
  public func write<Record: Encodable>(_ record: Record) {
    do {
      handle.write(try encoder.encode(record))
      handle.write(Data([0x0A]))
    } catch {
      FileHandle.standardError.write(Data("warning: \(path): a log record could not be written: \(error)\n".utf8))
    }
  }

  private let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
  }()
}

/// Failures of the training loop that are the user's to fix (exit status 1).
public enum TrainingError: Error, CustomStringConvertible {
  case io(String)
  case config(String)
  case memory(String)
  /// The loss at `step` is NaN or infinite; `lastCheckpoint` is the kept file and its step.
  case nonFiniteLoss(step: Int, loss: Float, lastCheckpoint: (path: String, step: Int)?)
  /// A weight became NaN or infinite by `step`; the checkpoint at `path` was not overwritten.
  case nonFiniteWeights(step: Int, tensor: String, path: String)

  public var description: String {
    switch self {
    case .io(let s), .config(let s), .memory(let s): return s
    case .nonFiniteLoss(let step, let loss, let last):
      let kept =
        last.map { "\($0.path) (step \($0.step)) is kept" } ?? "no checkpoint was written before it"
      return
        "training stopped at step \(step): the loss is \(loss.isNaN ? "NaN" : "\(loss)"), not a finite number (the weights diverged; try a lower --lr or --clip-norm); \(kept)"
    case .nonFiniteWeights(let step, let tensor, let path):
      return
        "training stopped at step \(step): weight \(tensor) holds NaN or infinity (the weights diverged; try a lower --lr or --clip-norm); \(path) was not overwritten"
    }
  }
}
