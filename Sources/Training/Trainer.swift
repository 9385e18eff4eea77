import Foundation
import NN
import SegData
import SegMetrics
import Tensor
import WeightIO

/// Drives training: data → model → loss → gradients → optimiser, with checkpoints that resume
/// exactly, periodic evaluation, and the run folder (config.json, log.jsonl, checkpoints/,
/// metrics.json, plots/, samples/).
public final class Trainer {
  public let options: TrainOptions
  public let run: RunFolder
  let model: TrainableModel
  let modelConfig: String
  /// Polled at every step boundary (SIGINT sets it): stop after writing `last`.
  public var stopRequested: () -> Bool = { false }
  public var say: (String) -> Void = { print($0) }
  /// Checks the plan against this much memory (tests override it).
  public var memoryLimits = MemoryLimits.current()

  public struct Result {
    public var steps: Int
    public var stopped: Bool
    public var metrics: Metrics?
    public var bestMeanIoU: Double?
  }

  public init(options: TrainOptions, model: TrainableModel, modelConfig: String, run: RunFolder) throws {
    try options.validate()
    if options.precision == .bf16 {
      do { try options.precision.dtype.checkSupported() } catch {
        throw TrainingError.config("--precision bf16: \(error)")
      }
      throw TrainingError.config("--precision bf16: mixed-precision training is not implemented yet; use fp32")
    }
    self.options = options
    self.model = model
    self.modelConfig = modelConfig
    self.run = run
  }

  public func train(resume: Bool) throws -> Result {
    let o = options
    let normalization = o.normalize
    let trainSet = try openDataset(
      spec: o.data, split: .train, seed: o.seed, imagesDirectory: o.images, syntheticSize: o.syntheticSize)
    let valSet = try openDataset(
      spec: o.data, split: .val, seed: o.seed, imagesDirectory: o.images, syntheticSize: o.syntheticSize)
    guard trainSet.classCount <= model.classes else {
      throw TrainingError.config(
        "\(o.data) has \(trainSet.classCount) classes but the model predicts \(model.classes): pass --classes \(trainSet.classCount)"
      )
    }
    let loader = DataLoader(
      dataset: trainSet,
      config: LoaderConfig(
        batchSize: o.batch, shuffle: true, dropLast: true, workers: o.workers, seed: o.seed,
        augmentation: .training(crop: o.crop, scaleRange: o.scaleRange, flip: o.flip),
        normalization: normalization, skipBad: o.skipBad))
    guard loader.batchesPerEpoch >= o.accumulate else {
      throw TrainingError.config(
        "\(o.data) has \(trainSet.count) training samples: too few for --batch \(o.batch) × --accumulate \(o.accumulate)"
      )
    }
    let stepsPerEpoch = loader.batchesPerEpoch / o.accumulate
    let total = o.steps ?? (o.epochs ?? 1) * stepsPerEpoch
    try plan(trainSet)

    let optimizer = o.makeOptimizer(model.parameters.filter(\.trainable))
    let schedule = o.makeSchedule(totalSteps: total)
    let immediate = updateDuringBackward(o, optimizer, model.parameters)
    var state = TrainState(
      step: 0, epoch: 0, batchInEpoch: 0, rngStates: model.randomStates, bestMeanIoU: nil, modelConfig: modelConfig)
    if resume, FileManager.default.fileExists(atPath: run.last.path) {
      let c = try Checkpoint.load(from: run.last)
      guard let s = c.state else { throw TrainingError.io("\(run.last.path) has no training state to resume from") }
      try model.restore(c.model)
      try optimizer.loadStateDict(c.optimizer)
      model.randomStates = s.rngStates
      state = s
      say("resuming \(run.directory.path) at step \(s.step) (epoch \(s.epoch), batch \(s.batchInEpoch))")
    } else {
      try run.create(allowExisting: false)
    }
    // A run killed while writing a checkpoint leaves its temporary file behind.
    for name in removeAbandonedTemporaryFiles(in: run.checkpoints) {
      say("removed \(name), left by a run killed while writing a checkpoint")
    }
    try run.writeConfig(options: o, modelConfig: modelConfig)
    let log = try RunLog(path: run.log.path, truncate: !resume)

    func saveLast() throws {
      state.rngStates = model.randomStates
      try Checkpoint.save(to: run.last, model: model.stateDict(), optimizer: optimizer.stateDict(), state: state)
    }
    func evaluateAndKeepBest(samples: Int = 0) throws -> (Metrics, ConfusionMatrix) {
      var written = 0
      let matrix = try evaluate(model, dataset: valSet, normalization: normalization, workers: o.workers) {
        batch, predicted in
        guard written < samples, let index = batch.indices.first else { return }
        try self.run.writeSample(valSet.sample(at: index), predicted: predicted, name: valSet.sampleID(at: index))
        written += 1
      }
      let m = try matrix.metrics(
        classNames: valSet.classNames
          + (valSet.classCount < model.classes ? (valSet.classCount..<model.classes).map { "class\($0)" } : []))
      log.write([
        "step": state.step, "val_miou": m.meanIoU, "val_pixel_acc": m.pixelAccuracy, "val_mean_acc": m.meanAccuracy,
        "val_fwiou": m.fwIoU,
      ])
      if state.bestMeanIoU == nil || m.meanIoU > state.bestMeanIoU! {
        state.bestMeanIoU = m.meanIoU
        state.rngStates = model.randomStates
        try Checkpoint.save(to: run.best, model: model.stateDict(), optimizer: [:], state: state)
      }
      return (m, matrix)
    }

    let progress = ProgressBar(total: total, label: "train")
    model.setTraining(true)
    var position = LoaderPosition(epoch: state.epoch, batch: state.batchInEpoch)
    var micro = 0
    var lossSum: Float = 0
    var stepStart = Date()
    var smoothed: Float?
    var stopped = false
    outer: while state.step < total {
      let stream = loader.batches(from: position)
      defer { stream.cancel() }
      let streamEpoch = position.epoch
      while let batch = try stream.next() {
        if micro == 0 { for p in model.parameters { p.zeroGrad() } }
        let images = try imageTensor(batch)
        let labels = try Tensor(shape: batch.labelShape, labels: batch.labels)
        // Updating during backward needs this step's rate before backward starts.
        if immediate != nil { optimizer.learningRate = schedule.learningRate(at: state.step) }
        let loss = try immediate.during {
          let tape = Tape()
          let loss = try tape.record {
            try softmaxCrossEntropy(model(Variable(images)), labels: labels, classWeights: o.classWeights)
          }
          try tape.backward(from: loss, seed: Tensor(shape: [1], values: [1 / Float(o.accumulate)]))
          return loss
        }
        lossSum += loss.value.floats[0] / Float(o.accumulate)
        micro += 1
        position = batch.next
        guard micro == o.accumulate else { continue }

        if let clip = o.clipNorm { clipGradNorm(model.parameters, maxNorm: clip) }
        let lr = schedule.learningRate(at: state.step)
        optimizer.learningRate = lr
        if immediate == nil { try optimizer.step() }
        state.step += 1
        (state.epoch, state.batchInEpoch) = (position.epoch, position.batch)
        let seconds = Date().timeIntervalSince(stepStart)
        let imagesPerSecond = Double(o.batch * o.accumulate) / max(seconds, 1e-9)
        smoothed = smoothed.map { 0.9 * $0 + 0.1 * lossSum } ?? lossSum
        log.write([
          "step": state.step, "epoch": batch.position.epoch, "loss": Double(lossSum), "lr": Double(lr),
          "img_per_s": imagesPerSecond,
        ])
        progress.update(
          state.step,
          fields: [
            "epoch": "\(batch.position.epoch + 1)", "loss": String(format: "%.4f", smoothed!),
            "lr": String(format: "%.2e", lr),
            "img/s": String(format: "%.1f", imagesPerSecond),
          ])
        micro = 0
        lossSum = 0
        if o.checkpointEvery > 0 && state.step % o.checkpointEvery == 0 { try saveLast() }
        if o.evalEvery > 0 && state.step % o.evalEvery == 0 && state.step < total {
          progress.finish()
          let (m, _) = try evaluateAndKeepBest()
          say(String(format: "step %d: val mIoU %.4f, pixel acc %.4f", state.step, m.meanIoU, m.pixelAccuracy))
        }
        if stopRequested() {
          stopped = true
          break outer
        }
        stepStart = Date()
        if state.step >= total { break outer }
      }
      // The epoch's stream ran out (its last batch's `next` is normally the next epoch already;
      // skipped bad samples can end it early).
      if position.epoch == streamEpoch { position = LoaderPosition(epoch: streamEpoch + 1, batch: 0) }
    }
    progress.finish()
    try saveLast()
    if stopped {
      say("stopped at step \(state.step); resume with --resume")
      return Result(steps: state.step, stopped: true, metrics: nil, bestMeanIoU: state.bestMeanIoU)
    }
    let (metrics, matrix) = try evaluateAndKeepBest(samples: 4)
    try saveLast()
    try run.writeMetrics(metrics)
    try Plots.write(run: run, confusion: matrix)
    return Result(steps: state.step, stopped: false, metrics: metrics, bestMeanIoU: state.bestMeanIoU)
  }

  /// The memory planner: refuse a configuration whose estimated peak exceeds what is available.
  func plan(_ trainSet: SegmentationDataset) throws {
    let o = options
    let size = try o.crop ?? trainSet.sample(at: 0).image.size
    let estimate = memoryEstimate(batch: o.batch, height: size.height, width: size.width)
    guard estimate > memoryLimits.availableBytes else { return }
    // The largest smaller batch that fits. The estimate grows with the batch, so bisect: each
    // estimate walks the whole model, and counting down from an absurd --batch 100000 took 25 s.
    var fits = 0
    var tooBig = o.batch
    while tooBig - fits > 1 {
      let b = fits + (tooBig - fits) / 2
      if memoryEstimate(batch: b, height: size.height, width: size.width) <= memoryLimits.availableBytes {
        fits = b
      } else {
        tooBig = b
      }
    }
    var advice = [String]()
    if fits > 0 {
      advice.append("--batch \(fits)")
      advice.append("--batch \(fits) --accumulate \((o.batch + fits - 1) / fits) (same effective batch)")
    } else {
      advice.append("a smaller --crop (batch 1 at \(size) does not fit either)")
    }
    // The largest crop of the same aspect (sides multiples of 32) that fits at this batch.
    for percent in stride(from: 95, through: 5, by: -5) {
      let h = max(32, size.height * percent / 100 / 32 * 32)
      let w = max(32, size.width * percent / 100 / 32 * 32)
      guard h < size.height || w < size.width else { continue }
      if memoryEstimate(batch: o.batch, height: h, width: w) <= memoryLimits.availableBytes {
        advice.append("--crop \(h)x\(w) at --batch \(o.batch)")
        break
      }
    }
    if Engine.isa.hasBF16 { advice.append("--precision bf16") }
    throw TrainingError.memory(
      "refusing to start: a training step at batch \(o.batch), \(size) needs about \(formatBytes(estimate)) but only \(formatBytes(memoryLimits.availableBytes)) is available (\(memoryLimits.source)). Try: "
        + advice.joined(separator: "; "))
  }

  /// Weights, gradients and activations (the model's estimate), optimiser slots, and the
  /// loader's prefetched batches.
  public func memoryEstimate(batch: Int, height: Int, width: Int) -> Int64 {
    let params = Int64(model.parameterCount) * 4
    let slots = Int64(options.optimizer.stateSlots)
    let loaderBuffers = Int64(2 * max(1, options.workers) + 1) * Int64(batch * height * width) * (3 * 4 + 4 + 3)
    let saved = options.updatesDuringBackward ? model.gradientBytesSavedDuringBackward : 0
    return model.trainingBytes(batch: batch, height: height, width: width) - saved + slots * params + loaderBuffers
  }
}

extension RGBImage {
  var size: ImageSize { ImageSize(height: height, width: width) }
}
