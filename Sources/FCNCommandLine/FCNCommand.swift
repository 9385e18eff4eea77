// FCNCommandLine: the `fcn` executable. One file per subcommand; each parses and validates its
// options (typed enums in ChoiceArguments.swift, shared model options in ModelOptions.swift) and
// calls into Training, FCN, SegData and SegMetrics. No model, data or training logic lives here.

import ArgumentParser
import Foundation

@main
struct FCNCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fcn",
    abstract: "Fully Convolutional Networks for semantic segmentation, on the CPU.",
    subcommands: [
      DemoCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self, InfoCommand.self, ConvertCommand.self,
      ExportCommand.self,
      BenchCommand.self, ScoreCommand.self, ExportMasksCommand.self, QuantizeCommand.self,
      // Reading runs back: the report page and the comparison of runs.
      ReportCommand.self, CompareCommand.self,
    ]
  )

  /// Exit status: 0 success, 1 bad input or refused configuration (with a message naming the
  /// file or option), 2 usage error. ArgumentParser's own default for usage errors is 64.
  static func main() {
    // Line-buffered stdout, so progress lines reach a log file or pipe as they happen.
    setvbuf(stdout, nil, _IOLBF, 0)
    var command: ParsableCommand
    do {
      command = try parseAsRoot()
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      printError(fullMessage(for: error))
      Foundation.exit(2)
    }
    do {
      try command.run()
    } catch let code as ExitCode {
      Foundation.exit(code.rawValue)
    } catch let error as ValidationError {
      printError("fcn: \(error)\n\(type(of: command).helpMessage())")
      Foundation.exit(2)
    } catch {
      // `fcn --help` and `fcn help train` parse into a help command whose run() throws.
      switch exitCode(for: error) {
      case .success:
        print(fullMessage(for: error))
        Foundation.exit(0)
      case .validationFailure:
        printError(fullMessage(for: error))
        Foundation.exit(2)
      default:
        printError("fcn: error: \(error)")
        Foundation.exit(1)
      }
    }
  }
}

/// Writes a line to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}
