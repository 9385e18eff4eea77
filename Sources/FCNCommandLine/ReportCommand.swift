import ArgumentParser
import Foundation
import Reports

/// `fcn report`: writes (again) a run's report.html and plots/ from the files in its folder, e.g.
/// for a run that was stopped, or one trained before the report existed.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report", abstract: "Write a run's report.html (and plots/*.svg) from its folder.")

  @Option(name: .customLong("run"), help: "The run folder.") var runFolder: String
  @Option(help: "Write the page here instead of RUN/report.html.") var out: String?

  func run() throws {
    let url = try RunReport.write(
      run: URL(fileURLWithPath: runFolder), to: out.map { URL(fileURLWithPath: $0) })
    print("wrote \(url.path)")
  }
}
