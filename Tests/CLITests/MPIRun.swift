import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `fcn` under Open MPI's `mpirun`, as a user starts data-parallel training. Tests that need
/// it skip (with the reason printed) where mpirun is not installed; scripts/setup installs it.
enum MPIRun {
  /// mpirun on PATH, or an XCTSkip that says what is missing.
  static func launcher() throws -> URL {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") {
      let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    let reason = "mpirun is not installed (Debian: apt-get install openmpi-bin libopenmpi-dev; scripts/setup does it)"
    print("skipped: \(reason)")
    throw XCTSkip(reason)
  }

  /// mpirun's own options: root is allowed (CI containers run as root), two processes may share
  /// however few cores the machine has, and shared-memory messages are copied through a buffer
  /// rather than read from the peer with process_vm_readv (cross-memory attach), which containers
  /// without CAP_SYS_PTRACE refuse.
  static let launcherOptions = [
    "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "btl_vader_single_copy_mechanism", "none",
  ]

  /// `mpirun -np N fcn ARGS…` (or an MPMD line `-np 1 fcn A… : -np 1 fcn B…` when `perRank`
  /// gives each rank its own arguments), started; output goes to files.
  final class Running: FCNExecutable.Running {
    /// `rankEnvironment` adds variables to each rank's environment (with `perRank`).
    init(
      processes: Int, _ arguments: [String], perRank: [[String]]? = nil, rankEnvironment: [[String: String]] = [],
      outputIn directory: URL
    ) throws {
      let fcn = try FCNExecutable.executable().path
      var args = MPIRun.launcherOptions
      if let perRank {
        for (i, a) in perRank.enumerated() {
          let exports = (i < rankEnvironment.count ? rankEnvironment[i] : [:]).sorted { $0.key < $1.key }
            .flatMap { ["-x", "\($0.key)=\($0.value)"] }
          args += (i > 0 ? [":"] : []) + ["-np", "1"] + exports + [fcn] + a
        }
      } else {
        args += ["-np", "\(processes)", fcn] + arguments
      }
      var environment = ProcessInfo.processInfo.environment
      environment["OMP_NUM_THREADS"] = "1"
      try super.init(
        executable: MPIRun.launcher(), arguments: args, outputIn: directory, environment: environment, name: "mpirun")
    }

    /// The fcn processes mpirun started, by rank (read from each child's environment).
    func ranks() -> [Int: Int32] {
      var found = [Int: Int32]()
      let parent = process.processIdentifier
      guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return found }
      for entry in entries {
        guard let pid = Int32(entry),
          let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          status.contains("\nPPid:\t\(parent)\n"),
          let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
        else { continue }
        for item in environ.split(separator: 0) {
          let text = String(decoding: item, as: UTF8.self)
          if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let r = Int(text.dropFirst(21)) { found[r] = pid }
        }
      }
      return found
    }

    /// The ranks first (mpirun may wait on them), then mpirun itself.
    override func kill() {
      for pid in ranks().values { Glibc.kill(pid, SIGKILL) }
      process.terminate()
    }

    /// As for one process, with a longer default: two processes share the cores.
    override func wait(timeout: Double = 180, file: StaticString = #filePath, line: UInt = #line)
      -> FCNExecutable.Result
    {
      super.wait(timeout: timeout, file: file, line: line)
    }
  }

  static func run(
    processes: Int, _ arguments: [String], outputIn directory: URL, timeout: Double = 180,
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> FCNExecutable.Result {
    try Running(processes: processes, arguments, outputIn: directory).wait(timeout: timeout, file: file, line: line)
  }
}
