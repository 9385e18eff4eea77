import SegData
import SegMetrics

/// Full-image evaluation through an `EnsemblePredictor` (test-time augmentation, ensembles,
/// windows): every sample at its own size, predicted labels against the data set's masks in
/// one confusion matrix. Without augmentation, tiling or a second model the labels are the
/// logits' argmax, exactly as Training's `evaluate` scores them.
public func evaluate(
  _ predictor: EnsemblePredictor, dataset: SegmentationDataset, planner: InferenceMemoryPlanner,
  tiling: Tiling?, automaticTiling: Bool, overlap: Double, weighting: TileWeighting,
  note: (String) -> Void = { _ in }, progress: (Int) -> Void = { _ in }
) throws -> ConfusionMatrix {
  var matrix = try ConfusionMatrix(classes: predictor.classes, ignoreIndex: 255)
  var decisions: [[Int]: InferenceMemoryPlanner.Decision] = [:]
  try predictor.running {
    for index in 0..<dataset.count {
      let sample = try dataset.sample(at: index)
      let (h, w) = (sample.image.height, sample.image.width)
      if decisions[[h, w]] == nil {
        let decision = try planner.decide(
          height: h, width: w, tiling: tiling, automaticTiling: automaticTiling, overlap: overlap,
          weighting: weighting, file: sample.id)
        if let text = decision.note { note(text) }
        decisions[[h, w]] = decision
      }
      let prediction = try predictor.predict(sample.image, tiling: decisions[[h, w]]!.tiling)
      try matrix.accumulate(predictions: prediction.labels, targets: sample.mask.labels.map { Int32($0) })
      progress(index + 1)
    }
  }
  return matrix
}
