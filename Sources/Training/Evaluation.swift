import FCN
import Foundation
import NN
import SegData
import SegMetrics
import Tensor

/// Per-pixel argmax of logits [N, K, H, W] → class ids [N·H·W] (first maximum wins, as torch).
public func argmaxLabels(_ logits: Tensor) throws -> [Int32] {
  let p = try logits.plain()
  let (n, k, hw) = (p.shape[0], p.shape[1], p.shape[2] * p.shape[3])
  var out = [Int32](repeating: 0, count: n * hw)
  let z = p.floats
  for b in 0..<n {
    let base = z + b * k * hw
    var best = [Float](UnsafeBufferPointer(start: base, count: hw))
    for c in 1..<max(k, 1) {
      let row = base + c * hw
      for i in 0..<hw where row[i] > best[i] {
        best[i] = row[i]
        out[b * hw + i] = Int32(c)
      }
    }
  }
  return out
}

/// Images of a batch as the engine's input tensor.
public func imageTensor(_ batch: Batch) throws -> Tensor {
  try Tensor(shape: batch.imageShape, values: batch.images)
}

/// Full-image evaluation: every sample of `dataset` at its own size (batch 1, no resizing),
/// inference mode, accumulated into one confusion matrix. An image too large for a whole pass
/// (memory in `limits`, or an activation past oneDNN's 2 GiB) is scored in windows, and `note`
/// says so once per size.
public func evaluate(
  _ model: InferenceModel, dataset: SegmentationDataset, normalization: Normalization, workers: Int = 1,
  progress: ProgressBar? = nil, limits: MemoryLimits = .current(), note: @escaping (String) -> Void = printNote,
  onSample: ((Batch, [Int32]) throws -> Void)? = nil
) throws -> ConfusionMatrix {
  model.setTraining(false)
  defer { model.setTraining(true) }
  var matrix = try ConfusionMatrix(classes: model.classes, ignoreIndex: 255)
  let loader = DataLoader(
    dataset: dataset,
    config: LoaderConfig(
      batchSize: 1, shuffle: false, workers: workers, augmentation: .evaluation(), normalization: normalization))
  let stream = loader.batches(epoch: 0)
  var done = 0
  var shape: [Int]?
  var oversized = OversizedImages(model: model, normalization: normalization, limits: limits, note: note)
  try keepingInferenceCopies(of: model.parameters) {
    while let batch = try stream.next() {
      if batch.imageShape != shape {
        // Every image size needs buffers of its own sizes: without a trim at each change, a
        // data set of many sizes would leave all of them idle in the pool.
        BufferPool.shared.trimForNewShapes()
        shape = batch.imageShape
      }
      let predicted: [Int32]
      let (h, w) = (batch.imageShape[2], batch.imageShape[3])
      if let index = batch.indices.first,
        let tiling = try oversized?.tiling(height: h, width: w, file: dataset.sampleID(at: index))
      {
        predicted = try oversized!.labels(dataset.sample(at: index).image, tiling: tiling)
      } else {
        predicted = try argmaxLabels(model(Variable(imageTensor(batch))).value)
      }
      try matrix.accumulate(predictions: predicted, targets: batch.labels)
      try onSample?(batch, predicted)
      done += 1
      progress?.update(done, fields: [:])
    }
  }
  progress?.finish()
  return matrix
}

/// Notes go to standard error, as the planners' other messages do.
public func printNote(_ text: String) {
  FileHandle.standardError.write(Data("note: \(text)\n".utf8))
}
