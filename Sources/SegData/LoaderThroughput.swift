// Measures how fast the loader turns JPEG files into training batches, to check that data
// loading is not the bottleneck (`fcn bench` and the SegData tests print it; no timing is
// asserted anywhere, machines differ too much).

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// CPU seconds (user + system) this process has used, all threads together.
func processCPUSeconds() -> Double {
  var usage = rusage()
  #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)
  #else
    getrusage(RUSAGE_SELF, &usage)
  #endif
  func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
  return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

public struct ThroughputResult: Sendable, CustomStringConvertible {
  public var workers: Int
  public var images: Int
  public var seconds: Double
  /// CPU time the process used meanwhile: images per CPU-second is the rate one worker
  /// reaches on a core of its own, whatever else the machine is doing.
  public var cpuSeconds: Double
  public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
  public var imagesPerCPUSecond: Double { Double(images) / max(cpuSeconds, 1e-9) }
  public var description: String {
    "\(workers) worker(s): \(images) images in \(String(format: "%.2f", seconds)) s = \(String(format: "%.1f", imagesPerSecond)) images/s"
      + " (\(String(format: "%.1f", imagesPerCPUSecond)) images per CPU-second)"
  }
}

/// Writes `count` synthetic side×side JPEGs (quality 90) with PNG masks into a temporary
/// folder data set, then times one epoch per worker count with training augmentation
/// (scale 0.5–2, crop side×side with padding, flip, colour jitter, ImageNet normalisation).
public func measureLoaderThroughput(
  side: Int = 512, count: Int = 64, batchSize: Int = 8,
  workerCounts: [Int] = [1, 2]
) throws -> [ThroughputResult] {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segdata-bench-\(UUID().uuidString)").path
  defer { try? FileManager.default.removeItem(atPath: dir) }
  try FileManager.default.createDirectory(atPath: join(dir, "images"), withIntermediateDirectories: true)
  try FileManager.default.createDirectory(atPath: join(dir, "masks"), withIntermediateDirectories: true)
  let source = SyntheticShapes(count: count, width: side, height: side, seed: 1)
  for i in 0..<count {
    let s = try source.sample(at: i)
    try writeFileBytes(try encodeJPEG(s.image, quality: 90), to: join(dir, "images", "\(i).jpg"))
    try writeFileBytes(try encodePalettePNG(s.mask), to: join(dir, "masks", "\(i).png"))
  }
  try writeFileBytes(
    Array((SyntheticShapes.classNames.joined(separator: "\n") + "\n").utf8), to: join(dir, "classes.txt"))
  let dataset = try FolderDataset(directory: dir, split: nil)
  var results: [ThroughputResult] = []
  for workers in workerCounts {
    let config = LoaderConfig(
      batchSize: batchSize, shuffle: true, workers: workers, seed: 0,
      augmentation: .training(
        crop: ImageSize(height: side, width: side), scaleRange: 0.5...2.0,
        flip: true, colourJitter: 0.2))
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = processCPUSeconds()
    var images = 0
    let stream = DataLoader(dataset: dataset, config: config).batches(epoch: 0)
    while let b = try stream.next() { images += b.count }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    results.append(
      ThroughputResult(workers: workers, images: images, seconds: seconds, cpuSeconds: processCPUSeconds() - cpuStart))
  }
  return results
}
