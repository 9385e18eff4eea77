import Distributed
import FCN
import Foundation
import NN
import SegData
import SegMetrics
import Tensor

/// This process's part in data-parallel training (mpirun -np N fcn train …): the process group
/// and the gradient buckets, and what the training session needs to do differently. Every
/// process holds the same weights, optimizer state and generators; each takes `batch / N`
/// samples of every global batch, and the summed gradients make every process's update the one
/// a single process would make with the whole batch.
public final class DataParallel {
  public let group: ProcessGroup
  let buckets: GradientBuckets
  /// The all-reduce wait of the current optimizer step (all its micro-batches), for log.jsonl.
  var waitSeconds = 0.0

  /// `overlap` false reduces after backward (measuring what the overlap hides); the environment
  /// variable FCN_ALLREDUCE_OVERLAP=0 turns it off for `fcn train`.
  public init(group: ProcessGroup, model: TrainableModel, options: TrainOptions, overlap: Bool = true) {
    self.group = group
    buckets = GradientBuckets(group: group, parameters: model.parameters, overlap: overlap)
    if let fcn = model as? FCNModel {
      let local = options.batch / group.size
      for d in fcn.dropoutLayers { d.window = SampleWindow(offset: group.rank * local, batch: options.batch) }
      if options.syncBN { for bn in fcn.batchNormLayers { bn.statisticsAcross = group } }
    }
  }

  var isRoot: Bool { group.isRoot }

  /// The loader's share of every batch for this process.
  var shard: LoaderShard { LoaderShard(index: group.rank, count: group.size) }

  /// The summed class weight of the counted pixels of every process's part of the batch: the
  /// cross-entropy's denominator for the whole batch (PyTorch's mean over the batch), and this
  /// process's own.
  func pixelWeights(_ labels: [Int32], classWeights: [Float]?) throws -> (local: Double, global: Double) {
    var local = 0.0
    for t in labels where t != 255 {
      local += Double(classWeights.map { Int(t) < $0.count && t >= 0 ? $0[Int(t)] : 1 } ?? 1)
    }
    var both = [local]
    try group.sum(&both)
    return (local, both[0])
  }

  /// The batch padded (bottom and right: image 0, the normalised mean; label 255, ignored) to
  /// the largest height and width of any process's part: one process pads its whole batch to
  /// its largest sample, and padding changes what the convolutions see near the border, so
  /// every part must have the global batch's size (samples differ in size under scale jitter
  /// without --crop).
  func paddedToGlobalSize(_ batch: Batch) throws -> Batch {
    var size = [Int32(batch.height), Int32(batch.width)]
    try group.maximum(&size)
    let (h, w) = (Int(size[0]), Int(size[1]))
    guard h != batch.height || w != batch.width else { return batch }
    var out = batch
    out.images = [Float](repeating: 0, count: batch.count * 3 * h * w)
    out.labels = [Int32](repeating: 255, count: batch.count * h * w)
    for plane in 0..<(batch.count * 3) {
      for y in 0..<batch.height {
        let src = (plane * batch.height + y) * batch.width
        out.images.replaceSubrange(
          (plane * h + y) * w..<((plane * h + y) * w + batch.width), with: batch.images[src..<(src + batch.width)])
      }
    }
    for b in 0..<batch.count {
      for y in 0..<batch.height {
        let src = (b * batch.height + y) * batch.width
        out.labels.replaceSubrange(
          (b * h + y) * w..<((b * h + y) * w + batch.width), with: batch.labels[src..<(src + batch.width)])
      }
    }
    (out.height, out.width) = (h, w)
    return out
  }

  /// The validation samples this process scores (every N-th, from its rank).
  func share(of dataset: SegmentationDataset) -> SegmentationDataset {
    dataset.subset(Array(stride(from: group.rank, to: dataset.count, by: group.size)))
  }

  /// The confusion matrices of every process, added.
  func summed(_ matrix: ConfusionMatrix) throws -> ConfusionMatrix {
    var counts = matrix.counts
    try group.sum(&counts)
    return try ConfusionMatrix(classes: matrix.classes, ignoreIndex: matrix.ignoreIndex, counts: counts)
  }
}

extension TrainingSession {
  /// Forward and backward of this process's part of a (micro-)batch. The loss seed makes the
  /// gradient that of the global batch's mean loss (normalised by every process's counted
  /// pixels, not this one's); on the step's last micro-batch the gradients are summed over the
  /// processes as backward produces them, so after it every process holds the global gradient.
  func dataParallelStep(_ batch: Batch, _ parallel: DataParallel) throws {
    let batch = try parallel.paddedToGlobalSize(batch)
    if micro == 0 {
      for p in model.parameters { p.zeroGrad() }
      parallel.waitSeconds = 0
    }
    let images = try imageTensor(batch)
    let labels = try Tensor(shape: batch.labelShape, labels: batch.labels)
    let weights = try parallel.pixelWeights(batch.labels, classWeights: options.classWeights)
    // softmaxCrossEntropy divides by this process's weight (1 when it has none counted).
    let share = (weights.local > 0 ? weights.local : 1) / (weights.global > 0 ? weights.global : 1)
    let last = micro + 1 == options.accumulate
    let run = {
      let tape = Tape()
      let loss = try tape.record {
        try softmaxCrossEntropy(
          cast(self.model(Variable(images)), to: .f32), labels: labels, classWeights: self.options.classWeights)
      }
      try tape.backward(from: loss, seed: Tensor(shape: [1], values: [Float(share) / Float(self.options.accumulate)]))
      return loss
    }
    let loss = last ? try parallel.buckets.during(run) : try run()
    lossSum += Float(Double(loss.value.floats[0]) * share) / Float(options.accumulate)
    micro += 1
    guard last else { return }
    try parallel.buckets.finish()
    let start = Date()
    var total = [Double(lossSum)]
    try parallel.group.sum(&total)
    lossSum = Float(total[0])
    parallel.waitSeconds += parallel.buckets.lastWaitSeconds + Date().timeIntervalSince(start)
  }
}
