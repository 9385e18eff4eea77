import Foundation

/// One weighted term of a segmentation loss, as `fcn train --loss` spells it: `ce`, `dice`,
/// `focal` (with its gamma) or `lovasz`, times a weight.
public struct LossTerm: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    /// Softmax cross-entropy (PyTorch's, class-weighted mean).
    case crossEntropy
    /// segmentation_models_pytorch's multiclass soft Dice.
    case dice
    /// segmentation_models_pytorch's multiclass focal loss with this gamma.
    case focal(gamma: Double)
    /// Lovász-softmax over the classes present in the batch.
    case lovasz
  }

  public var kind: Kind
  public var weight: Double

  public init(_ kind: Kind, weight: Double = 1) {
    self.kind = kind
    self.weight = weight
  }

  /// The term's name as written in `--loss`.
  public var name: String {
    switch kind {
    case .crossEntropy: return "ce"
    case .dice: return "dice"
    case .focal: return "focal"
    case .lovasz: return "lovasz"
    }
  }

  /// Whether `--class-weights` changes this term (Lovász-softmax has no class weights).
  public var usesClassWeights: Bool { kind != .lovasz }

  public static let defaultFocalGamma = 2.0
}

/// A `--loss` value that cannot be read; the message names the bad term.
public struct LossSpecError: Error, CustomStringConvertible {
  public let description: String
}

extension LossTerm {
  /// Reads one term: `NAME[:WEIGHT]`, and for focal also `gamma=G` (`focal:0.5:gamma=3`).
  public init(parsing text: String) throws {
    func bad(_ why: String) -> LossSpecError { LossSpecError(description: "--loss term '\(text)': \(why)") }
    let fields = text.split(separator: ":", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    var kind: Kind
    switch fields[0].lowercased() {
    case "ce", "cross-entropy", "crossentropy": kind = .crossEntropy
    case "dice": kind = .dice
    case "focal": kind = .focal(gamma: Self.defaultFocalGamma)
    case "lovasz", "lovász": kind = .lovasz
    default: throw bad("unknown loss '\(fields[0])'; choose ce, dice, focal or lovasz")
    }
    var weight: Double?
    for field in fields.dropFirst() {
      if field.lowercased().hasPrefix("gamma=") {
        guard case .focal = kind else { throw bad("only focal has a gamma") }
        guard let gamma = Double(field.dropFirst(6)), gamma >= 0, gamma.isFinite else {
          throw bad("gamma must be a finite number ≥ 0, got '\(field.dropFirst(6))'")
        }
        kind = .focal(gamma: gamma)
      } else if let w = Double(field) {
        guard weight == nil else {
          throw bad("more than one weight; write NAME:WEIGHT, and focal's gamma as gamma=G (focal:0.5:gamma=3)")
        }
        guard w > 0, w.isFinite else { throw bad("the weight must be a finite number > 0, got \(field)") }
        weight = w
      } else {
        throw bad("'\(field)' is not a weight (a number) or gamma=G")
      }
    }
    self.init(kind, weight: weight ?? 1)
  }

  /// The term as `--loss` reads it back (`focal:0.5:gamma=3`).
  public var spec: String {
    var s = "\(name):\(formatNumber(weight))"
    if case .focal(let gamma) = kind, gamma != Self.defaultFocalGamma { s += ":gamma=\(formatNumber(gamma))" }
    return s
  }
}

/// 1.0 → "1", 0.25 → "0.25".
func formatNumber(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
