import Foundation
import WeightIO
import XCTest

/// A fresh temporary directory, removed when the test finishes.
func makeTempDir(_ test: XCTestCase) throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-cli-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
  return dir
}

/// The smallest real configuration of `fcn train`: FCN-8s with the compact head at 1/16 width
/// (≈ 70k parameters) on 16 synthetic 32×32 images; 40 steps take about a second.
/// It still has everything a resume must restore: dropout in fc6/fc7, SGD momentum, a poly
/// learning-rate schedule, shuffled epochs and augmentation.
enum TinyRun {
  static let model = ["--model", "fcn8s", "--head", "compact", "--width", "0.0625", "--fc", "16"]

  static func trainArguments(run: URL, steps: Int = 40, checkpointEvery: Int = 1) -> [String] {
    ["train"] + model + [
      "--data", "synthetic:16", "--synthetic-size", "32x32", "--batch", "2", "--steps", "\(steps)",
      "--checkpoint-every", "\(checkpointEvery)", "--seed", "3", "--workers", "1", "--run", run.path,
    ]
  }

  /// Weights for the predict and eval tests, made once per test process and only read.
  /// A short tiny run, then its score layers (1×1 convs from backbone features to classes)
  /// replaced by seeded random values: a run this short predicts background everywhere, and
  /// masks that are all 0 would let a wrong normalisation or a wrong argmax go unnoticed.
  /// With random score layers the prediction varies with every pixel of the input.
  static func weights() throws -> URL {
    if let url = shared, FileManager.default.fileExists(atPath: url.path) { return url }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fcn-cli-shared-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    sharedDirectory = dir
    atexit { if let d = TinyRun.sharedDirectory { try? FileManager.default.removeItem(at: d) } }
    let run = dir.appendingPathComponent("run")
    let result = try FCNExecutable.run(trainArguments(run: run, steps: 10, checkpointEvery: 0), outputIn: dir)
    guard result.status == 0 else { throw TrainFailed(stderr: result.stderr) }

    let (tensors, metadata) = try SafeTensors.read(
      contentsOf: run.appendingPathComponent("checkpoints/last.safetensors"))
    var model = tensors.filter { !$0.key.hasPrefix("optimizer/") }
    var state: UInt64 = 0x5EED
    for name in model.keys.sorted() where name.hasPrefix("score_") {
      let count = model[name]!.count
      model[name] = HostArray(shape: model[name]!.shape, floats: (0..<count).map { _ in uniform(&state) })
    }
    let url = dir.appendingPathComponent("varied.safetensors")
    try SafeTensors.write(model, metadata: metadata, to: url)
    shared = url
    return url
  }

  /// Uniform in [-1, 1) from a 64-bit LCG (Knuth's MMIX constants); only needs to be fixed.
  private static func uniform(_ state: inout UInt64) -> Float {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Float(state >> 40) / Float(1 << 23) - 1
  }

  static let classes = 6

  nonisolated(unsafe) private static var shared: URL?
  nonisolated(unsafe) private static var sharedDirectory: URL?

  struct TrainFailed: Error, CustomStringConvertible {
    var stderr: String
    var description: String { "fcn train for the shared tiny run failed: \(stderr)" }
  }
}
