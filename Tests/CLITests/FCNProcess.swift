import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs the built `fcn` executable as a subprocess, the way a user (or a script) runs it.
/// These tests check the command line itself — arguments, exit status, files written,
/// behaviour when killed — which no in-process test of the libraries can see.
enum FCNExecutable {
  /// The `fcn` binary next to the test bundle (`.build/<config>/` holds both products).
  static func executable() throws -> URL {
    // On macOS bundleURL is the .xctest bundle, whose folder holds fcn. On Linux the .xctest
    // is a single executable and bundleURL is already the folder holding it (seen with
    // Swift 6 on Linux: .build/x86_64-unknown-linux-gnu/release), so look in both places.
    let bundle = Bundle(for: Marker.self).bundleURL
    let candidates = [bundle.deletingLastPathComponent(), bundle].map { $0.appendingPathComponent("fcn") }
    for url in candidates where FileManager.default.isExecutableFile(atPath: url.path) { return url }
    throw MissingExecutable(looked: candidates.map(\.path))
  }

  struct MissingExecutable: Error, CustomStringConvertible {
    var looked: [String]
    var description: String {
      "the fcn executable is not built (looked for \(looked.joined(separator: " and "))): build the fcn product first, "
        + "e.g. `swift build -c release -Xswiftc -enable-testing --build-tests` (which builds every product) or "
        + "`swift build -c release --product fcn`"
    }
  }

  /// The outcome of one finished run.
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
  }

  /// A started, still running process, with its output going to files (a pipe that nobody
  /// reads could fill up and stall the child).
  class Running {
    let process = Process()
    let stdoutURL: URL, stderrURL: URL
    let started = Date()

    /// `executable arguments…` with exactly `environment`; output files named after `name`.
    init(executable: URL, arguments: [String], outputIn directory: URL, environment: [String: String], name: String)
      throws
    {
      process.executableURL = executable
      process.arguments = arguments
      process.environment = environment
      let stem = "\(name)-\(UUID().uuidString.prefix(8))"
      stdoutURL = directory.appendingPathComponent(stem + ".stdout")
      stderrURL = directory.appendingPathComponent(stem + ".stderr")
      for url in [stdoutURL, stderrURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
      process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
      process.standardError = try FileHandle(forWritingTo: stderrURL)
      try process.run()
    }

    /// `fcn arguments…` with this process's environment plus `extra`.
    convenience init(_ arguments: [String], outputIn directory: URL, environment extra: [String: String] = [:]) throws {
      // One math thread unless the caller chose otherwise: these nets are tiny, and on a busy
      // machine two spinning OpenMP threads made a 1 s run take over a minute.
      var environment = ProcessInfo.processInfo.environment
      if environment["OMP_NUM_THREADS"] == nil { environment["OMP_NUM_THREADS"] = "1" }
      environment.merge(extra) { _, new in new }
      try self.init(
        executable: FCNExecutable.executable(), arguments: arguments, outputIn: directory, environment: environment,
        name: "fcn")
    }

    var pid: Int32 { process.processIdentifier }

    /// SIGKILL: no handler runs, nothing is flushed — what a crash or the OOM killer does.
    func kill() {
      #if canImport(Glibc)
        _ = Glibc.kill(pid, SIGKILL)
      #else
        _ = Darwin.kill(pid, SIGKILL)
      #endif
    }

    /// Waits for exit; a run that outlives `timeout` is killed and reported as a failure,
    /// so a hang fails the test instead of stalling the suite.
    func wait(timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line) -> Result {
      let deadline = Date().addingTimeInterval(timeout)
      while process.isRunning && Date() < deadline { usleep(2_000) }
      if process.isRunning {
        kill()
        let program = process.executableURL?.lastPathComponent ?? "fcn"
        XCTFail(
          "\(program) \(process.arguments ?? []) still running after \(timeout) s; killed", file: file, line: line)
      }
      process.waitUntilExit()
      let read = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
      return Result(
        status: process.terminationStatus, stdout: read(stdoutURL), stderr: read(stderrURL),
        seconds: Date().timeIntervalSince(started))
    }

    var wasKilledBySignal: Bool { process.terminationReason == .uncaughtSignal }
  }

  /// Runs `fcn arguments…` to completion.
  static func run(
    _ arguments: [String], outputIn directory: URL, timeout: Double = 120, environment: [String: String] = [:],
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> Result {
    try Running(arguments, outputIn: directory, environment: environment).wait(timeout: timeout, file: file, line: line)
  }
}

/// Any class of this test bundle, for Bundle(for:).
private final class Marker {}
