import ArgumentParser
import Inference
import Training

extension TileWeighting: ExpressibleByArgument {}
extension ProbabilityDType: ExpressibleByArgument {}

/// The inference options `predict` and `eval` share: test-time augmentation and sliding windows.
struct InferenceOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Test-time augmentation: hflip, vflip and/or scales=S1,S2,… (e.g. hflip,vflip,scales=0.75,1,1.25).",
      discussion:
        "Softmax probabilities are averaged over every scale × (as is, hflip, vflip); each pass is mirrored back and resized bilinearly (align_corners=False) to the image's size first."
    )) var tta: String?
  @Option(help: "Sliding-window inference in HxW windows (e.g. 512x512).") var tile: String?
  @Option(help: "Overlap of neighbouring windows, a fraction of the window in [0, 1).") var overlap = 0.25
  @Option(help: "Blending of overlapping windows: uniform or gaussian (σ = window/8).") var tileWeights =
    TileWeighting.uniform
  @Flag(help: "Never tile automatically: refuse (with the estimate) an image that does not fit in memory whole.")
  var noTile = false
  @Option(
    help:
      "Compute precision: fp32, or bf16 (convolutions and activations in bf16, fp32 accumulation; where oneDNN runs bf16: bf16 hardware, or emulated on AVX-512, slower, with a warning)."
  ) var precision = Precision.fp32

  func validate() throws {
    _ = try augmentation()
    _ = try tiling()
    if noTile && tile != nil { throw ValidationError("--no-tile and --tile contradict each other; give one") }
  }

  func augmentation() throws -> TestTimeAugmentation {
    guard let tta else { return .none }
    do { return try TestTimeAugmentation(parsing: tta) } catch let e as InferenceError {
      throw ValidationError(e.description)
    }
  }

  func tiling() throws -> Tiling? {
    guard let tile else {
      guard overlap.isFinite, overlap >= 0, overlap < 1 else {
        throw ValidationError("--overlap must be a fraction in [0, 1), got \(overlap)")
      }
      return nil
    }
    let size = try parseSize(tile, option: "--tile")
    do { return try Tiling(height: size.height, width: size.width, overlap: overlap, weighting: tileWeights) } catch let
      e as InferenceError
    { throw ValidationError(e.description) }
  }

  /// True when these options change nothing (whole-image inference, no augmentation).
  var isDefault: Bool { tta == nil && tile == nil && !noTile }

  /// A planner for `predictor` against this process's memory limit, read before the models
  /// were loaded (`limits`), so that their weights are not counted twice.
  func planner(_ predictor: EnsemblePredictor, limits: MemoryLimits, processBytes: Int, callerBytesPerPixel: Int = 8)
    -> InferenceMemoryPlanner
  {
    InferenceMemoryPlanner(
      predictor: predictor, availableBytes: limits.availableBytes, availableSource: limits.source,
      callerBytesPerPixel: callerBytesPerPixel, processBytes: processBytes)
  }
}
