import Foundation
import Tensor

/// What a benchmark result must be read with: the CPU, the ISA oneDNN uses, versions, threads.
struct MachineInfo: Codable {
  var cpu: String
  var cores: Int
  var isa: String
  var onednn: String

  static var current: MachineInfo {
    let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = text.split(separator: "\n").first { $0.hasPrefix("model name") }
      .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) }
    return MachineInfo(
      cpu: model ?? "unknown", cores: ProcessInfo.processInfo.activeProcessorCount, isa: Engine.isa.description,
      onednn: Engine.version)
  }
}

/// Median, min and max of repeated timings.
struct Spread: Codable {
  var median: Double
  var min: Double
  var max: Double

  init(_ samples: [Double]) {
    let s = samples.sorted()
    median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    min = s.first ?? 0
    max = s.last ?? 0
  }
}

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
