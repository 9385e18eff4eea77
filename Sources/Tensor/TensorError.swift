import CDNNL

/// Every failure the engine reports: readable, naming the op and the shapes involved.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// An op got inputs whose shapes do not fit together.
  case shapeMismatch(op: String, detail: String)
  case dtypeMismatch(op: String, detail: String)
  case unsupported(String)
  /// oneDNN refused a call; `what` says which.
  case dnnl(what: String, status: Int)

  public var description: String {
    switch self {
    case .shapeMismatch(let op, let detail): return "\(op): shape mismatch: \(detail)"
    case .dtypeMismatch(let op, let detail): return "\(op): dtype mismatch: \(detail)"
    case .unsupported(let s): return s
    case .dnnl(let what, let status): return "oneDNN: \(what) failed (status \(status))"
    }
  }
}

/// Converts a oneDNN status into a thrown error naming the call.
@inline(__always)
public func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
  if status != dnnl_success {
    throw TensorError.dnnl(what: what(), status: Int(status.rawValue))
  }
}

/// Formats a shape the way error messages show it: [2, 3, 8, 8].
public func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
