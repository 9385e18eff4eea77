/// Everything that can go wrong while building or combining confusion matrices.
/// Each case carries the offending values so the message can name them.
public enum SegMetricsError: Error, Equatable, CustomStringConvertible {
  /// `classes` must be in 1...ConfusionMatrix.maxClasses (K×K Int64 counts are allocated).
  case invalidClassCount(Int)
  /// A ground-truth label that is neither a class in 0..<classes nor the ignore index.
  case targetOutOfRange(value: Int32, index: Int, classes: Int)
  /// A predicted label outside 0..<classes (the prediction may never be the ignore index).
  case predictionOutOfRange(value: Int32, index: Int, classes: Int)
  /// Prediction and target arrays must describe the same pixels.
  case lengthMismatch(predictions: Int, targets: Int)
  /// Merging matrices built for different label sets.
  case classCountMismatch(Int, Int)
  /// Decoded counts do not form a classes × classes matrix of non-negative numbers.
  case malformedCounts(classes: Int, countsLength: Int)
  /// Class names given for a report must be one per class.
  case classNameCountMismatch(names: Int, classes: Int)

  public var description: String {
    switch self {
    case .invalidClassCount(let k):
      return "invalid class count \(k): expected 1...\(ConfusionMatrix.maxClasses)"
    case .targetOutOfRange(let value, let index, let classes):
      return "ground-truth label \(value) at pixel \(index) is out of range: "
        + "expected 0..<\(classes) or the ignore index"
    case .predictionOutOfRange(let value, let index, let classes):
      return "predicted label \(value) at pixel \(index) is out of range: expected 0..<\(classes)"
    case .lengthMismatch(let p, let t):
      return "prediction has \(p) pixels but ground truth has \(t)"
    case .classCountMismatch(let a, let b):
      return "cannot merge confusion matrices with \(a) and \(b) classes"
    case .malformedCounts(let classes, let n):
      return "confusion matrix for \(classes) classes needs \(classes * classes) "
        + "non-negative counts, got \(n) values"
    case .classNameCountMismatch(let names, let classes):
      return "\(names) class names given for \(classes) classes"
    }
  }
}
