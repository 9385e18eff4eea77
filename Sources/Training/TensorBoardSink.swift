import Foundation
import SegData
import SegMetrics
import TensorBoard

/// What a training run shows in TensorBoard (runs/NAME/tb/): every number log.jsonl records, the
/// per-class IoU of each evaluation, the confusion matrix and the sample panels. TrainingSession
/// hands it the records it writes to log.jsonl, so the two never disagree
/// (tools/check_tensorboard.py reads the files back with TensorBoard and compares).
///
/// TensorBoard is a view, not the record: if its files cannot be written the run goes on
/// (one warning), as it would without TensorBoard.
final class TensorBoardSink {
  private var writer: EventFileWriter?
  private let say: (String) -> Void

  /// Tags of the log.jsonl numbers, by the key log.jsonl gives them (the read-back tool uses the
  /// same table).
  static let stepTags = ["loss": "train/loss", "lr": "train/lr", "img_per_s": "train/img_per_s"]
  static let evaluationTags = [
    "val_miou": "val/miou", "val_pixel_acc": "val/pixel_acc", "val_mean_acc": "val/mean_acc",
    "val_fwiou": "val/fwiou",
  ]

  /// `directory` nil: a sink that writes nothing (the processes of a data-parallel job other
  /// than rank 0).
  init(directory: URL?, say: @escaping (String) -> Void) {
    self.say = say
    guard let directory else { return }
    do { writer = try EventFileWriter(directory: directory) } catch {
      say("warning: no TensorBoard files: \(error)")
    }
  }

  /// A training step's loss, learning rate and throughput (non-finite values as they are: NaN).
  func step(_ r: StepRecord) {
    var values = [SummaryValue]()
    if let v = r.loss { values.append(.scalar(Self.stepTags["loss"]!, Float(v))) }
    if let v = r.lr { values.append(.scalar(Self.stepTags["lr"]!, Float(v))) }
    if let v = r.imagesPerSecond { values.append(.scalar(Self.stepTags["img_per_s"]!, Float(v))) }
    write(step: r.step, values)
  }

  /// An evaluation: its log.jsonl numbers, each class's IoU (classes absent from both ground
  /// truth and prediction have none) and the row-normalised confusion matrix as an image.
  func evaluation(_ r: EvaluationRecord, metrics m: Metrics, confusion: ConfusionMatrix) {
    var values: [SummaryValue] = [
      .scalar(Self.evaluationTags["val_miou"]!, Float(r.meanIoU)),
      .scalar(Self.evaluationTags["val_pixel_acc"]!, Float(r.pixelAccuracy)),
      .scalar(Self.evaluationTags["val_mean_acc"]!, Float(r.meanAccuracy)),
      .scalar(Self.evaluationTags["val_fwiou"]!, Float(r.frequencyWeightedIoU)),
    ]
    for (k, iou) in m.perClassIoU.enumerated() {
      guard let iou else { continue }
      values.append(.scalar("val_iou/" + (m.classNames?[k] ?? "class\(k)"), Float(iou)))
    }
    let picture = confusionHeatmap(confusion)
    if let png = try? encodePNG(picture) {
      values.append(
        SummaryValue(
          tag: "val/confusion", .image(height: picture.height, width: picture.width, colorspace: 3, encoded: png)))
    }
    write(step: r.step, values)
  }

  /// A PNG already written to the run folder (a sample panel), shown under `tag`.
  func pngFile(_ url: URL, tag: String, step: Int) {
    guard let data = FileManager.default.contents(atPath: url.path), let size = pngSize([UInt8](data)) else { return }
    write(
      step: step,
      [SummaryValue(tag: tag, .image(height: size.height, width: size.width, colorspace: 3, encoded: [UInt8](data)))])
  }

  private func write(step: Int, _ values: [SummaryValue]) {
    guard let w = writer, !values.isEmpty else { return }
    do {
      try w.write(Event(wallTime: Date().timeIntervalSince1970, step: Int64(step), .summary(values)))
    } catch {
      say("warning: TensorBoard files stop here: \(error)")
      writer = nil
    }
  }
}

/// Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian), nil if it is not a PNG.
func pngSize(_ bytes: [UInt8]) -> (height: Int, width: Int)? {
  guard bytes.count >= 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) else { return nil }
  func be32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
  return (be32(20), be32(16))
}

/// The row-normalised confusion matrix as a picture for TensorBoard's image tab: one square of
/// `cell` pixels per (true, predicted) pair, white at 0% through blue at 100% of the row.
func confusionHeatmap(_ m: ConfusionMatrix, cell: Int = 24) -> RGBImage {
  let k = m.classes
  let size = max(k * cell, 1)
  var image = RGBImage(width: size, height: size, fill: (255, 255, 255))
  for t in 0..<k {
    let row = (0..<k).map { m.count(target: t, predicted: $0) }
    let total = max(row.reduce(0, +), 1)
    for p in 0..<k {
      let v = UInt8(255 - min(255, Int(255 * Double(row[p]) / Double(total))))
      for y in t * cell..<(t + 1) * cell {
        for x in p * cell..<(p + 1) * cell {
          let i = 3 * (y * size + x)
          (image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]) = (v, v, 255)
        }
      }
    }
  }
  return image
}
