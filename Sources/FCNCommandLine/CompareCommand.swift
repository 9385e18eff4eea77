import ArgumentParser
import Foundation
import Reports

/// `fcn compare`: several runs side by side — the settings that differ, the metrics, the curves
/// overlaid — printed as a table and written as one HTML page.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare", abstract: "Compare runs: config differences, metrics side by side, curves overlaid.")

  @Argument(help: "Run folders (two or more).") var runs: [String]
  @Option(help: "The HTML page to write.") var out = "compare.html"

  func validate() throws {
    guard runs.count >= 2 else { throw ValidationError("give at least two run folders to compare") }
  }

  func run() throws {
    let comparison = try RunComparison.load(runs.map { URL(fileURLWithPath: $0) })
    print(try comparison.terminalTable(), terminator: "")
    try comparison.write(to: URL(fileURLWithPath: out))
    print("\nwrote \(out)")
  }
}
