// Measures how fast the loader turns JPEG files into training batches, to check that data
// loading is not the bottleneck (`fcn bench` and the SegData tests print it; no timing is
// asserted anywhere, machines differ too much).

import Foundation

public struct ThroughputResult: Sendable, CustomStringConvertible {
  public var workers: Int
  public var images: Int
  public var seconds: Double
  public var imagesPerSecond: Double { Double(images) / max(seconds, 1e-9) }
  public var description: String {
    "\(workers) worker(s): \(images) images in \(String(format: "%.2f", seconds)) s = \(String(format: "%.1f", imagesPerSecond)) images/s"
  }
}

/// Writes `count` synthetic side×side JPEGs (quality 90) with PNG masks into a temporary
/// folder data set, then times one epoch per worker count with training augmentation
/// (scale 0.5–2, crop side×side with padding, flip, colour jitter, ImageNet normalisation).
public func measureLoaderThroughput(side: Int = 512, count: Int = 64, batchSize: Int = 8,
                                    workerCounts: [Int] = [1, 2]) throws -> [ThroughputResult] {
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
  try writeFileBytes(Array((SyntheticShapes.classNames.joined(separator: "\n") + "\n").utf8), to: join(dir, "classes.txt"))
  let dataset = try FolderDataset(directory: dir, split: nil)
  var results: [ThroughputResult] = []
  for workers in workerCounts {
    let config = LoaderConfig(batchSize: batchSize, shuffle: true, workers: workers, seed: 0,
                              augmentation: .training(crop: ImageSize(height: side, width: side), scaleRange: 0.5...2.0,
                                                      flip: true, colourJitter: 0.2))
    let start = DispatchTime.now().uptimeNanoseconds
    var images = 0
    let stream = DataLoader(dataset: dataset, config: config).batches(epoch: 0)
    while let b = try stream.next() { images += b.count }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    results.append(ThroughputResult(workers: workers, images: images, seconds: seconds))
  }
  return results
}
