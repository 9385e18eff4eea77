import SegData

/// Refuses a data set whose labels the model cannot predict, before any step runs. When the
/// class count was inferred from the masks, the message names the mask holding the largest
/// label: a stray value (77 in a 3-class set) is a broken mask far more often than a class.
public func checkLabelsFit(_ dataset: SegmentationDataset, modelClasses: Int) throws {
  guard dataset.classCount > modelClasses else { return }
  if let largest = dataset.largestLabel {
    throw DataError(
      file: largest.file,
      problem:
        "mask holds label \(largest.label), but the model predicts \(modelClasses) classes: labels must be < \(modelClasses) or 255 (ignore); fix the mask, or pass --classes \(largest.label + 1) if \(largest.label) is a real class"
    )
  }
  throw TrainingError.config(
    "\(dataset.description) has \(dataset.classCount) classes but the model predicts \(modelClasses): pass --classes \(dataset.classCount)"
  )
}
