import ArgumentParser
import FCN
import Foundation
import Tensor
import Training

/// `fcn info`: the geometry behind a model (per-layer shapes, strides, receptive fields, crop
/// offsets and why), its size and cost, and the memory a step needs here.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Explain a model's geometry, parameters, FLOPs and memory at an input size.")

  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Input size HxW.") var size = "500x375"
  @Option(help: "Batch size for the memory estimate.") var batch = 1
  @Flag(help: "Print the largest training batch that fits in this machine's memory, for each memory mode.")
  var maxBatch = false

  func validate() throws {
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
  }

  func run() throws {
    let s = try parseSize(size, option: "--size")
    let config = try modelOptions.config(classes: 21)
    print(try infoReport(config: config, height: s.height, width: s.width, batch: batch))
    let limits = MemoryLimits.current()
    print("memory available here: \(formatBytes(limits.availableBytes)) (\(limits.source))")
    if maxBatch {
      print("largest training batch at \(s.height)x\(s.width) in that memory (estimate, 1 loader worker):")
      for c in try TrainingCapacity.estimate(
        config: config, height: s.height, width: s.width, available: limits.availableBytes)
      {
        let mode = c.mode.rawValue.padding(toLength: 48, withPad: " ", startingAt: 0)
        print("  \(mode) batch \(c.largestBatch)" + (c.largestBatch > 0 ? " (\(formatBytes(c.bytes)))" : ""))
      }
    }
  }
}
