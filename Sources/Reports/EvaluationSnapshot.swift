import Foundation
import SegMetrics

/// confusion.json: the latest evaluation's raw confusion matrix with its class names and step.
/// Training writes it at every evaluation; the report derives every per-class number from it,
/// so a report made later from the files matches what training saw.
public struct EvaluationSnapshot: Codable, Equatable {
  public var step: Int
  public var classNames: [String]
  public var matrix: ConfusionMatrix

  public init(step: Int, classNames: [String], matrix: ConfusionMatrix) {
    self.step = step
    self.classNames = classNames
    self.matrix = matrix
  }

  public static let fileName = "confusion.json"

  /// Checks what decoding cannot: one name per class.
  public func validated(file: String) throws -> EvaluationSnapshot {
    guard classNames.count == matrix.classes else {
      throw ReportError.damaged(
        file: file, problem: "\(classNames.count) class names for a \(matrix.classes)-class matrix")
    }
    return self
  }

  public func write(to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(self).write(to: url, options: .atomic)
  }
}
