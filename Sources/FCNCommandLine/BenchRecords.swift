import Foundation

/// `fcn bench --json` lines, in the keys tools/run_benchmarks.py and tools/compare_conv.py read
/// (the same as tools/bench_pytorch.py writes for PyTorch).
struct ConvBenchRecord: Encodable {
  var framework = "swift-fcn"
  var op = "conv3x3"
  var pass: String
  var dtype = "f32"
  var msMedian: Double
  var msMin: Double
  var msMax: Double
  var gflops: Double

  enum CodingKeys: String, CodingKey {
    case framework, op, pass, dtype, gflops
    case msMedian = "ms_median"
    case msMin = "ms_min"
    case msMax = "ms_max"
  }
}

struct ModelBenchRecord: Encodable {
  var framework = "swift-fcn"
  var model: String
  var mode: String
  var dtype = "f32"
  var batch: Int
  var size: String
  var classes: Int
  var imagesPerSecond: Double
  var stepSecondsMedian: Double
  var stepSecondsMin: Double
  var stepSecondsMax: Double
  var gflops: Double
  var limitGFLOPS: Double
  var percentOfLimit: Double
  var peakRSSBytes: Int64
  var poolBytes: Int
  var poolPeakInUseBytes: Int
  /// Inference only: graph (training graph in eval mode), folded (BatchNorm folded) or int8.
  var engine: String? = nil

  enum CodingKeys: String, CodingKey {
    case framework, model, mode, dtype, batch, size, classes, gflops, engine
    case imagesPerSecond = "img_per_s"
    case stepSecondsMedian = "step_s_median"
    case stepSecondsMin = "step_s_min"
    case stepSecondsMax = "step_s_max"
    case limitGFLOPS = "limit_gflops"
    case percentOfLimit = "pct_of_limit"
    case peakRSSBytes = "peak_rss_bytes"
    case poolBytes = "pool_bytes"
    case poolPeakInUseBytes = "pool_peak_in_use_bytes"
  }
}

/// One JSON object on one line.
func jsonLine<T: Encodable>(_ record: T) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return String(decoding: try encoder.encode(record), as: UTF8.self)
}
