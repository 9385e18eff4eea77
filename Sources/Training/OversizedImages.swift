import FCN
import Inference
import SegData

/// Full-image evaluation meets images no whole pass can take: a 4000×3000 photo in a folder
/// data set needs a 3 GiB first activation, past what oneDNN's kernels can index (they crash),
/// or more memory than is left. Such images are scored in windows, as `fcn eval` and
/// `fcn predict` do; every other image keeps the whole-image pass and its exact numbers.
struct OversizedImages {
  private let predictor: EnsemblePredictor
  private let planner: InferenceMemoryPlanner
  private var decisions: [[Int]: Tiling?] = [:]
  private let note: (String) -> Void

  /// nil when `model` is not an FCN the planner can walk (test nets): those always run whole.
  init?(model: InferenceModel, normalization: Normalization, limits: MemoryLimits, note: @escaping (String) -> Void) {
    guard let net = model.planningModel else { return nil }
    let member = EnsembleMember(model: net, normalization: normalization, name: net.config.name) { try model($0) }
    guard let predictor = try? EnsemblePredictor(members: [member]) else { return nil }
    self.predictor = predictor
    // Available memory is read now, with this process's buffers already counted out of it.
    planner = InferenceMemoryPlanner(
      predictor: predictor, availableBytes: limits.availableBytes, availableSource: limits.source)
    self.note = note
  }

  /// The windows a height × width image needs, nil when it runs whole; throws (naming `file`)
  /// when not even windows fit.
  mutating func tiling(height: Int, width: Int, file: String) throws -> Tiling? {
    if let known = decisions[[height, width]] { return known }
    let decision = try planner.decide(height: height, width: width, tiling: nil, automaticTiling: true, file: file)
    if let text = decision.note { note(text) }
    decisions[[height, width]] = decision.tiling
    return decision.tiling
  }

  /// Per-pixel classes of `image` predicted in `tiling`'s windows.
  func labels(_ image: RGBImage, tiling: Tiling) throws -> [Int32] {
    try predictor.predict(image, tiling: tiling).labels
  }
}
