/// Why a run folder cannot be reported: each case names the folder or file and the problem
/// (the command line turns it into exit status 1).
public enum ReportError: Error, CustomStringConvertible, Equatable {
  case missingRun(String)
  case notARun(folder: String, missing: String)
  case damaged(file: String, problem: String)
  case io(String)

  public var description: String {
    switch self {
    case .missingRun(let path): return "\(path): no such run folder"
    case .notARun(let folder, let missing):
      return "\(folder) is not a run folder: \(missing) is missing (a run written by fcn train or fcn demo has it)"
    case .damaged(let file, let problem): return "\(file): damaged: \(problem)"
    case .io(let s): return s
    }
  }
}
