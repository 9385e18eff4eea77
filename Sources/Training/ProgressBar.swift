import Foundation

/// A one-line progress display on a terminal (redrawn in place), plain log lines otherwise
/// (CI logs, files), so that redirected output stays readable.
public final class ProgressBar {
  public let total: Int
  public let label: String
  private let isTTY: Bool
  private let start = Date()
  private var lastPlain = Date.distantPast
  private let plainInterval: TimeInterval

  public init(total: Int, label: String, plainInterval: TimeInterval = 10) {
    self.total = max(total, 1)
    self.label = label
    self.plainInterval = plainInterval
    isTTY = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
  }

  /// Shows step `done` of `total` with free-form fields (e.g. ["loss": "0.53", "lr": "1e-3"]).
  public func update(_ done: Int, fields: KeyValuePairs<String, String>) {
    let elapsed = Date().timeIntervalSince(start)
    let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
    let info = fields.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
    if isTTY {
      let width = 24
      let filled = min(width, width * done / total)
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      let line = "\r\(label) \(bar) \(done)/\(total)  \(info)  ETA \(clock(eta))\u{1B}[K"
      FileHandle.standardOutput.write(line.data(using: .utf8)!)
    } else if Date().timeIntervalSince(lastPlain) >= plainInterval || done == total {
      lastPlain = Date()
      print("\(label) \(done)/\(total)  \(info)  elapsed \(clock(elapsed))  ETA \(clock(eta))")
    }
  }

  /// Ends the in-place line so the next output starts on a fresh one.
  public func finish() {
    if isTTY { print("") }
  }
}

/// 75 s → "01:15", 3700 s → "1:01:40".
public func clock(_ seconds: TimeInterval) -> String {
  let s = Int(seconds.rounded())
  return s >= 3600
    ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
}
