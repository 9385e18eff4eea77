import Foundation

/// "1.23 GiB" style sizes for messages: every planner (training, inference, `fcn info`) reports
/// the memory it counts with this one formatter.
public func formatBytes(_ bytes: Int64) -> String {
  let units = ["B", "KiB", "MiB", "GiB", "TiB"]
  var v = Double(bytes)
  var i = 0
  while v >= 1024 && i < units.count - 1 {
    v /= 1024
    i += 1
  }
  return i == 0 ? "\(bytes) B" : String(format: "%.2f %@", v, units[i])
}
