/// The nets `--model` chooses. The paper's four use VGG16 with the paper head; the course's
/// three are the PyTorch `FCN` class from the course (VGG19-BN, compact head, its module names).
/// "seed" meant a random seed to users, so the course nets were renamed from `seed-fcn*`; the old
/// names are still read (command line and saved configs) and mean the same nets.
public enum ModelName: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
  case fcn32s, fcn16s, fcn8s
  case fcn8sAtOnce = "fcn8s-atonce"
  case courseFCN32 = "course-fcn32"
  case courseFCN16 = "course-fcn16"
  case courseFCN8 = "course-fcn8"

  /// Earlier names still accepted, each with the net it means now.
  public static let aliases: [String: ModelName] = [
    "seed-fcn32": .courseFCN32, "seed-fcn16": .courseFCN16, "seed-fcn8": .courseFCN8,
  ]

  /// A name as a user types it (any case, aliases included).
  public init(parsing text: String) throws {
    let key = text.lowercased()
    guard let name = ModelName(rawValue: key) ?? ModelName.aliases[key] else {
      throw FCNError.unknownModel(text, valid: ModelName.allCases.map(\.rawValue))
    }
    self = name
  }

  public init(from decoder: Decoder) throws {
    try self.init(parsing: decoder.singleValueContainer().decode(String.self))
  }

  public var description: String { rawValue }

  /// The course's class (shared/reference/seed_fcn.py) with its module names.
  public var isCourse: Bool {
    switch self {
    case .courseFCN32, .courseFCN16, .courseFCN8: return true
    case .fcn32s, .fcn16s, .fcn8s, .fcn8sAtOnce: return false
    }
  }

  /// FCN-8s at-once: pool4 scaled by 0.01 and pool3 by 0.0001 before scoring.
  public var atOnce: Bool { self == .fcn8sAtOnce }

  /// Stride of the coarsest skip fused in: 32, 16 or 8.
  public var outputStride: Int {
    switch self {
    case .fcn32s, .courseFCN32: return 32
    case .fcn16s, .courseFCN16: return 16
    case .fcn8s, .fcn8sAtOnce, .courseFCN8: return 8
    }
  }
}
