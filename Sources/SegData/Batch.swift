// What the loader hands to the trainer: plain arrays, no tensor types (SegData does not
// depend on Tensor; the trainer copies these into its own tensors).

/// Where an epoch stands: the batch index within the epoch. Saved in checkpoints; resuming
/// at a position gives exactly the batches an uninterrupted run would have had.
public struct LoaderPosition: Codable, Equatable, Sendable, CustomStringConvertible {
  public var epoch: Int
  public var batch: Int
  public init(epoch: Int, batch: Int) {
    self.epoch = epoch
    self.batch = batch
  }
  public var description: String { "epoch \(epoch) batch \(batch)" }
}

public struct Batch: Sendable {
  /// N×3×H×W, normalised (planes R, G, B; B, G, R for `caffe`).
  public var images: [Float]
  /// N×H×W class ids; 255 = ignore (padding, VOC borders, unmapped Cityscapes ids).
  public var labels: [Int32]
  public var count: Int
  public var height: Int
  public var width: Int
  /// Sample ids in batch order.
  public var ids: [String]
  /// Data set indices in batch order.
  public var indices: [Int]
  /// This batch's position; `next` is where to resume after it.
  public var position: LoaderPosition
  public var next: LoaderPosition

  public var imageShape: [Int] { [count, 3, height, width] }
  public var labelShape: [Int] { [count, height, width] }
}

/// Stacks augmented samples into a batch. Samples of different sizes are padded bottom/right
/// to the largest (image 0 after normalisation, i.e. the mean; label 255).
func stack(
  _ samples: [(index: Int, sample: Sample)], normalization: Normalization,
  position: LoaderPosition, next: LoaderPosition
) -> Batch {
  let h = samples.map { $0.sample.image.height }.max() ?? 0
  let w = samples.map { $0.sample.image.width }.max() ?? 0
  let n = samples.count
  var images = [Float](repeating: 0, count: n * 3 * h * w)
  var labels = [Int32](repeating: Int32(LabelMap.ignore), count: n * h * w)
  var planes = [Float]()
  for (b, item) in samples.enumerated() {
    let img = item.sample.image
    let mask = item.sample.mask
    if img.width == w && img.height == h {
      normalization.write(img, into: &images, offset: b * 3 * h * w)
    } else {
      planes = [Float](repeating: 0, count: 3 * img.width * img.height)
      normalization.write(img, into: &planes, offset: 0)
      for c in 0..<3 {
        for y in 0..<img.height {
          let src = (c * img.height + y) * img.width
          let dst = ((b * 3 + c) * h + y) * w
          images.replaceSubrange(dst..<(dst + img.width), with: planes[src..<(src + img.width)])
        }
      }
    }
    for y in 0..<mask.height {
      for x in 0..<mask.width { labels[(b * h + y) * w + x] = Int32(mask.labels[y * mask.width + x]) }
    }
  }
  return Batch(
    images: images, labels: labels, count: n, height: h, width: w,
    ids: samples.map { $0.sample.id }, indices: samples.map { $0.index }, position: position, next: next)
}
