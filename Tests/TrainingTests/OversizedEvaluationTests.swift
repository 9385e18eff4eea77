import FCN
import Inference
import SegData
import SegMetrics
import Training
import XCTest

/// Full-image evaluation (during training, and `fcn eval` without options) meets an image no
/// whole pass can take: it is scored in windows as `fcn eval`'s planner would window it, not
/// run whole into a crash or out of memory.
final class OversizedEvaluationTests: XCTestCase {
  /// One image per size, pixels and labels from their index (11 classes).
  struct Sized: SegmentationDataset {
    let sizes: [(height: Int, width: Int)]
    var description: String { "sized:\(sizes.count)" }
    var count: Int { sizes.count }
    var classNames: [String] { (0..<11).map { "c\($0)" } }
    func sampleID(at index: Int) -> String { "image\(index)" }
    func sample(at index: Int) throws -> Sample {
      let (h, w) = sizes[index]
      return Sample(
        image: RGBImage(
          width: w, height: h, pixels: (0..<(3 * h * w)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 97) }),
        mask: LabelMap(width: w, height: h, labels: (0..<(h * w)).map { UInt8(($0 / 13) % 11) }), id: "image\(index)")
    }
  }

  let data = Sized(sizes: [(37, 45), (150, 210)])

  func model() throws -> FCNModel {
    try FCNModel(ModelConfig(model: .courseFCN8, classes: 11, width: 1.0 / 16, fc: 32, seed: 3))
  }

  func testAnImageTooLargeToRunWholeIsScoredInWindowsAsFcnEvalWould() throws {
    let model = try model()
    let predictor = try EnsemblePredictor(members: [EnsembleMember(model: model, normalization: .imagenet, name: "m")])
    let probe = InferenceMemoryPlanner(predictor: predictor, availableBytes: .max, availableSource: "probe")
    // Room for 128×128 windows but not 256×256 ones (which, clamped to 150×210, are the whole
    // image); the small image still fits whole.
    let limit = try probe.estimate(height: 150, width: 210, tiling: Tiling(height: 128, width: 128))
    XCTAssertLessThan(limit, try probe.estimate(height: 150, width: 210, tiling: nil))
    XCTAssertLessThanOrEqual(try probe.estimate(height: 37, width: 45, tiling: nil), limit)

    var notes: [String] = []
    let matrix = try evaluate(
      model, dataset: data, normalization: .imagenet,
      limits: MemoryLimits(availableBytes: Int64(limit), source: "test limit"), note: { notes.append($0) })
    XCTAssertEqual(notes.count, 1, "one note for the one oversized size: \(notes)")
    XCTAssertTrue(notes.first?.contains("image1") ?? false, "\(notes)")
    XCTAssertTrue(notes.first?.contains("128x128") ?? false, "\(notes)")

    // The predictor leaves the mode to its caller (`fcn eval` gives it the compiled network,
    // always in eval mode); `evaluate` put the model back in training mode.
    model.setTraining(false)
    let windowed = try Inference.evaluate(
      predictor, dataset: data,
      planner: InferenceMemoryPlanner(predictor: predictor, availableBytes: Int64(limit), availableSource: "test"),
      tiling: nil, automaticTiling: true, overlap: 0.25, weighting: .uniform)
    XCTAssertEqual(matrix.counts, windowed.counts)
    XCTAssertEqual(matrix.counts.reduce(0, +), Int64(37 * 45 + 150 * 210))

    // With room to spare both run whole, as before: no note, and the same counts as a whole
    // pass of each image (which differ from the windowed ones at the window seams).
    notes = []
    let whole = try evaluate(
      model, dataset: data, normalization: .imagenet,
      limits: MemoryLimits(availableBytes: .max, source: "unlimited"), note: { notes.append($0) })
    XCTAssertEqual(notes, [])
    model.setTraining(false)
    let wholeReference = try Inference.evaluate(
      predictor, dataset: data,
      planner: InferenceMemoryPlanner(predictor: predictor, availableBytes: .max, availableSource: "test"),
      tiling: nil, automaticTiling: false, overlap: 0.25, weighting: .uniform)
    XCTAssertEqual(whole.counts, wholeReference.counts)
  }

  func testAnImageThatFitsNotEvenInWindowsIsRefusedByName() throws {
    let model = try model()
    XCTAssertThrowsError(
      try evaluate(
        model, dataset: data, normalization: .imagenet,
        limits: MemoryLimits(availableBytes: 1 << 20, source: "test limit"), note: { _ in })
    ) {
      XCTAssertTrue("\($0)".contains("image0"), "\($0)")
    }
  }
}
