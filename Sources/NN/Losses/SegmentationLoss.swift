import Foundation
import Tensor

/// The loss `fcn train --loss` trains with: a weighted sum of terms over logits [N, K, H, W] and
/// int32 labels [N, H, W], each term the mean its definition gives, ignored pixels (label 255)
/// contributing nothing. `ce:1` (the default) is exactly `softmaxCrossEntropy`.
///
/// Every term's gradient is written by hand beside its value (see each term's file); they are
/// checked against PyTorch autograd (tools/make_loss_golden.py) and finite differences.
public struct SegmentationLoss: Equatable, Sendable {
  public var terms: [LossTerm]

  public init(_ terms: [LossTerm]) { self.terms = terms }

  public static let crossEntropy = SegmentationLoss([LossTerm(.crossEntropy)])

  /// Reads `--loss`: terms separated by commas, e.g. `ce:1,dice:0.5,focal:0.25:gamma=3`.
  public init(parsing text: String) throws {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard !parts.allSatisfy(\.isEmpty) else {
      throw LossSpecError(description: "--loss is empty; write terms such as ce:1,dice:0.5")
    }
    var terms = [LossTerm]()
    for part in parts {
      guard !part.isEmpty else { throw LossSpecError(description: "--loss '\(text)' has an empty term") }
      let term = try LossTerm(parsing: part)
      if terms.contains(where: { $0.name == term.name }) {
        throw LossSpecError(description: "--loss term '\(part)': \(term.name) appears twice")
      }
      terms.append(term)
    }
    self.init(terms)
  }

  /// The canonical `--loss` text (config.json records this).
  public var spec: String { terms.map(\.spec).joined(separator: ",") }

  /// The terms `--class-weights` leaves unchanged (for a note to the user).
  public var termsWithoutClassWeights: [LossTerm] { terms.filter { !$0.usesClassWeights } }

  /// Bytes this loss needs beyond what plain cross-entropy needs (the plain logits and their
  /// gradient, which the memory planner already counts): each pixel's label and log-sum-exp, and
  /// for Lovász-softmax its sort (error, order, pixel index) and d/dp of every class.
  public func extraWorkingBytes(pixels: Int, classes: Int) -> Int64 {
    guard self != .crossEntropy else { return 0 }
    var perPixel = 4 + 8
    if terms.contains(where: { $0.kind == .lovasz }) { perPixel += 3 * 8 + 4 * classes }
    return Int64(pixels) * Int64(perPixel)
  }

  /// The loss as a 1-element fp32 Variable, with its gradient kept for backward.
  public func callAsFunction(
    _ logits: Variable, labels: Tensor, classWeights: [Float]? = nil, ignoreIndex: Int32 = 255
  ) throws -> Variable {
    if self == .crossEntropy {
      return try softmaxCrossEntropy(logits, labels: labels, ignoreIndex: ignoreIndex, classWeights: classWeights)
    }
    let tape = recording(logits)
    let (value, grad) = try evaluate(
      logits.value, labels: labels, classWeights: classWeights, ignoreIndex: ignoreIndex, gradient: tape != nil)
    let loss = Variable(try Tensor(shape: [1], values: [Float(value)]), requiresGrad: tape != nil)
    tape?.push {
      guard let dl = loss.grad, let grad else { return }
      let s = dl.floats[0]
      let g = grad.floats
      for i in 0..<grad.count { g[i] *= s }
      try logits.accumulate(grad)
    }
    return loss
  }

  /// The value (in double precision) and, if asked, d(value)/d(logits) as a plain-layout tensor.
  public func evaluate(
    _ logits: Tensor, labels: Tensor, classWeights: [Float]? = nil, ignoreIndex: Int32 = 255, gradient: Bool
  ) throws -> (value: Double, gradient: Tensor?) {
    let batch = try LabelledLogits(logits, labels: labels, ignoreIndex: ignoreIndex, classWeights: classWeights)
    let grad = gradient ? try Tensor.zeros(shape: logits.shape) : nil
    var total = 0.0
    for term in terms {
      let g = grad.map { ($0.floats, term.weight) }
      let weights = term.usesClassWeights ? batch.classWeights : nil
      switch term.kind {
      case .crossEntropy: total += term.weight * crossEntropyTerm(batch, classWeights: weights, gradient: g)
      case .dice: total += term.weight * diceTerm(batch, classWeights: weights, gradient: g)
      case .focal(let gamma): total += term.weight * focalTerm(batch, gamma: gamma, classWeights: weights, gradient: g)
      case .lovasz: total += term.weight * lovaszSoftmaxTerm(batch, gradient: g)
      }
    }
    return (total, grad)
  }
}

/// Where a term adds its gradient: the plain [N, K, H, W] buffer and the factor (the term's
/// weight) its d(term)/d(logits) is multiplied by before being added.
typealias GradientSink = (buffer: UnsafeMutablePointer<Float>, scale: Double)
