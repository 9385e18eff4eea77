import FCN
import Foundation
import Tensor

/// Decides, per image size, whether an image is predicted whole or in windows, from an
/// estimate of the peak memory: the network's (fcn info's inference estimate, which models the
/// buffer pool, at the largest pass: the scaled image or one window) plus the host-side maps
/// this module keeps (the decoded image, its normalised planes, one pass's logits, the blended
/// and averaged probability maps, the labels). Whole images that would not fit are tiled
/// automatically in the largest square window that fits, unless tiling is turned off.
public final class InferenceMemoryPlanner {
  public let predictor: EnsemblePredictor
  public let availableBytes: Int64
  public let availableSource: String
  /// Bytes per image pixel the caller keeps besides the prediction (masks, overlays).
  public let callerBytesPerPixel: Int
  /// Window sides tried, largest first, when an image must be tiled automatically.
  public static let automaticSides = [1024, 768, 512, 384, 256, 128]
  /// The largest single activation a pass may have (see `largestTensorBytes`).
  public static let largestActivationBytes = largestTensorBytes
  private var networkCache: [[Int]: (total: Int, largest: Int)] = [:]

  /// This process's resident memory before the models were loaded (runtime, libraries): part
  /// of the peak a user sees in `ps` or `time -v`, so part of the estimate.
  public let processBytes: Int

  public init(
    predictor: EnsemblePredictor, availableBytes: Int64, availableSource: String, callerBytesPerPixel: Int = 8,
    processBytes: Int = 0
  ) {
    self.processBytes = processBytes
    self.predictor = predictor
    self.availableBytes = availableBytes
    self.availableSource = availableSource
    self.callerBytesPerPixel = callerBytesPerPixel
  }

  /// The decision for one image size.
  public struct Decision {
    /// nil: whole image.
    public var tiling: Tiling?
    public var estimatedBytes: Int
    /// What to tell the user (automatic tiling, or the estimate of asked-for tiling); nil when
    /// the whole image simply fits.
    public var note: String?
  }

  /// Estimated peak bytes of predicting a height × width image, whole (nil) or tiled.
  public func estimate(height: Int, width: Int, tiling: Tiling?) throws -> Int {
    let c = predictor.classes
    let pixels = height * width
    // Each model's weights, and their blocked copies: predict keeps one per convolution
    // between passes (keepingInferenceCopies), where fcn info's estimate counts one at a time.
    var weights = 0
    for m in predictor.members { weights += 2 * 4 * m.model.parameterCount }
    var activations = 0
    var passHost = 0
    for transform in predictor.augmentation.transforms {
      let (th, tw) = transform.size(height: height, width: width)
      let (ph, pw) = tiling.map { (min($0.height, th), min($0.width, tw)) } ?? (th, tw)
      for m in predictor.members {
        let n = try network(m, ph, pw)
        activations = max(activations, n.total - n.weights)
      }
      // One pass: its input planes and its logits (softmax works in place); tiled, also the
      // window's weights, the blended map and the weight sum at the transformed size.
      var host = 4 * (3 + c) * ph * pw
      if tiling != nil { host += 4 * ph * pw + 4 * (c + 1) * th * tw }
      passHost = max(passHost, host)
    }
    let normalisations = Set(predictor.members.map(\.normalization)).count
    var host = 3 * pixels + 12 * pixels * normalisations + passHost + 4 * pixels + callerBytesPerPixel * pixels
    // Averaging passes (or undoing one transformed pass) keeps a sum at the image's size; one
    // whole-image pass keeps its raw logits beside the probabilities. One tiled pass in the
    // image's frame is itself the answer.
    let onePassInFrame = predictor.passCount == 1 && predictor.augmentation.transforms[0].isIdentity
    if !onePassInFrame || tiling == nil { host += 4 * c * pixels }
    // Margins from measurement, not from a model: the network's activations +25% and the
    // whole +25% (oneDNN's scratchpads and JIT code, allocator slack, the buffer pool holding a
    // larger idle buffer for a smaller request, the compiled network's folded weights). A
    // 4000×3000 photo through course-fcn8 peaked at 1.16× the estimate with a +5% margin in
    // 512×512 windows (1683 MiB) and 1.11× in 1024×1024 windows (2.26 GiB) once prediction
    // ran through the compiled network and the upward-fit pool (docs/inference.md).
    return (weights + activations * 5 / 4 + host) * 5 / 4 + processBytes
  }

  /// The largest single activation of any pass of a height × width image, whole or tiled.
  public func largestActivation(height: Int, width: Int, tiling: Tiling?) throws -> Int {
    var largest = 0
    for transform in predictor.augmentation.transforms {
      let (th, tw) = transform.size(height: height, width: width)
      let (ph, pw) = tiling.map { (min($0.height, th), min($0.width, tw)) } ?? (th, tw)
      for m in predictor.members { largest = max(largest, try network(m, ph, pw).largest) }
    }
    return largest
  }

  /// Whether a plan fits: its estimate within the memory available, and no activation too
  /// large for the engine's kernels.
  private func fits(_ bytes: Int, _ height: Int, _ width: Int, _ tiling: Tiling?) throws -> Bool {
    try Int64(bytes) <= availableBytes
      && largestActivation(height: height, width: width, tiling: tiling) <= Self.largestActivationBytes
  }

  /// Why a plan does not fit, in words.
  private func shortfall(_ bytes: Int, _ height: Int, _ width: Int, _ tiling: Tiling?) throws -> String {
    let largest = try largestActivation(height: height, width: width, tiling: tiling)
    if largest > Self.largestActivationBytes && Int64(bytes) <= availableBytes {
      return
        "needs an activation of \(formatBytes(Int64(largest))), more than the \(formatBytes(Int64(Self.largestActivationBytes))) oneDNN's kernels can index"
    }
    return
      "needs about \(formatBytes(Int64(bytes))) but only \(formatBytes(availableBytes)) is available (\(availableSource))"
  }

  /// Whole, or tiled as asked, or tiled automatically when whole does not fit; throws with the
  /// estimate and advice when nothing fits or `automaticTiling` is off. `file` names the image.
  public func decide(
    height: Int, width: Int, tiling: Tiling?, automaticTiling: Bool, overlap: Double = 0.25,
    weighting: TileWeighting = .uniform, file: String
  ) throws -> Decision {
    let size = "\(width)x\(height) (WxH)"
    if let tiling {
      let bytes = try estimate(height: height, width: width, tiling: tiling)
      guard try fits(bytes, height, width, tiling) else {
        throw InferenceError.memory(
          "\(file): predicting this \(size) image in \(tiling.height)x\(tiling.width) windows \(try shortfall(bytes, height, width, tiling)); \(try advice(height, width, overlap, weighting))"
        )
      }
      return Decision(
        tiling: tiling, estimatedBytes: bytes,
        note: "\(file): \(size) image in \(tiling): memory estimate \(formatBytes(Int64(bytes)))")
    }
    let whole = try estimate(height: height, width: width, tiling: nil)
    if try fits(whole, height, width, nil) { return Decision(tiling: nil, estimatedBytes: whole, note: nil) }
    let why = try shortfall(whole, height, width, nil)
    guard automaticTiling else {
      throw InferenceError.memory(
        "\(file): predicting this \(size) image whole \(why); drop --no-tile to let predict tile it, \(try advice(height, width, overlap, weighting))"
      )
    }
    guard let (chosen, bytes) = try largestFittingTiling(height, width, overlap, weighting) else {
      throw InferenceError.memory(
        "\(file): predicting this \(size) image whole \(why), and it does not fit even in \(Self.automaticSides.last!)x\(Self.automaticSides.last!) windows: resize it or free memory"
      )
    }
    return Decision(
      tiling: chosen, estimatedBytes: bytes,
      note:
        "\(file): predicting this \(size) image whole \(why); predicting it in \(chosen): memory estimate \(formatBytes(Int64(bytes)))"
    )
  }

  private func largestFittingTiling(_ h: Int, _ w: Int, _ overlap: Double, _ weighting: TileWeighting) throws -> (
    Tiling, Int
  )? {
    for side in Self.automaticSides where side < max(h, w) {
      let t = try Tiling(height: side, width: side, overlap: overlap, weighting: weighting)
      let bytes = try estimate(height: h, width: w, tiling: t)
      if try fits(bytes, h, w, t) { return (t, bytes) }
    }
    return nil
  }

  private func advice(_ h: Int, _ w: Int, _ overlap: Double, _ weighting: TileWeighting) throws -> String {
    guard let (t, bytes) = try largestFittingTiling(h, w, overlap, weighting) else {
      return
        "no window down to \(Self.automaticSides.last!)x\(Self.automaticSides.last!) fits either: resize the image or free memory"
    }
    return "e.g. --tile \(t.height)x\(t.width) needs about \(formatBytes(Int64(bytes)))"
  }

  /// fcn info's inference estimate (weights + live activations) of a member at a pass size,
  /// its weights, and its largest activation in oneDNN's blocked layout (channels rounded up
  /// to 16).
  private func network(_ member: EnsembleMember, _ h: Int, _ w: Int) throws -> (
    total: Int, weights: Int, largest: Int
  ) {
    let key = [ObjectIdentifier(member.model).hashValue, h, w]
    let weights = 4 * member.model.parameterCount
    if let known = networkCache[key] { return (known.total, weights, known.largest) }
    let info = try modelInfo(of: member.model, height: h, width: w)
    let largest = info.largestActivation.bytes
    networkCache[key] = (info.inferenceBytes, largest)
    return (info.inferenceBytes, weights, largest)
  }
}

/// This process's resident set size now (Linux: /proc/self/statm), 0 where unknown.
public func currentResidentBytes() -> Int {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
  let fields = text.split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
