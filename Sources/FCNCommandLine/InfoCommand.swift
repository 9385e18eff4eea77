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
  @Option(
    help:
      "Estimate fcn train's step (SGD updated during backward, 1 loader worker) at --batch with --recompute off, on, or auto (what fcn train would choose here). Without it both are printed."
  ) var recompute: RecomputeMode?

  func validate() throws {
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
  }

  func run() throws {
    let s = try parseSize(size, option: "--size")
    let config = try modelOptions.config(classes: 21)
    print(try infoReport(config: config, height: s.height, width: s.width, batch: batch))
    let limits = MemoryLimits.current()
    print("memory available here: \(formatBytes(limits.availableBytes)) (\(limits.source))")
    let step = { (mode: TrainingCapacity.Mode) in
      try TrainingCapacity.stepBytes(config: config, height: s.height, width: s.width, batch: batch, mode: mode)
    }
    let (off, on) = (try step(.updateDuringBackward), try step(.recomputing))
    let chosen: RecomputeMode? =
      switch recompute {
      case .auto?: off <= limits.availableBytes || on > limits.availableBytes ? .off : .on
      default: recompute
      }
    print("fcn train's step at batch \(batch), \(s.height)x\(s.width) (estimate):")
    for (mode, bytes) in [(RecomputeMode.off, off), (.on, on)] where chosen == nil || chosen == mode {
      let fits = bytes <= limits.availableBytes ? "fits" : "does not fit"
      let why = recompute == .auto ? " (what --recompute auto chooses here)" : ""
      print("  --recompute \(mode): \(formatBytes(bytes)), \(fits)\(why)")
    }
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
