import FCN
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
  /// Set when this process is one of a data-parallel job (DataParallel.swift): it then trains
  /// on its share of every batch, and only rank 0 writes the run folder.
  public var parallel: DataParallel?
  var writesRun: Bool { parallel?.isRoot ?? true }

  public struct Result {
    public var steps: Int
    public var stopped: Bool
    public var metrics: Metrics?
    public var bestMeanIoU: Double?
  }

  public init(options: TrainOptions, model: TrainableModel, modelConfig: String, run: RunFolder) throws {
    try options.validate()
    if options.precision == .bf16 {
      // Refused where oneDNN runs no bf16; a warning where it emulates it (MixedPrecision).
      do { try BF16Support.require { FileHandle.standardError.write(Data(("fcn: " + $0 + "\n").utf8)) } } catch {
        throw TrainingError.config("\(error)")
      }
      if options.syncBN {
        throw TrainingError.config("--precision bf16 with --sync-bn is not supported yet (SyncBatchNorm is fp32 only)")
      }
    }
    self.options = options
    self.model = model
    self.modelConfig = modelConfig
    self.run = run
    model.recomputesInBackward = options.recompute == .on
  }

  /// Trains until the step budget is spent or a stop is requested, then evaluates and writes
  /// the run folder. Reads like torchvision's train.py: data, plan, restore-or-create, then the
  /// loop of training steps, optimizer steps and evaluations (TrainingSession).
  public func train(resume: Bool) throws -> Result {
    let data = try openData()
    try plan(data.trainSet)
    let session = try restoreOrCreate(resume: resume, data: data)
    // Convolutions compute in bf16 under --precision bf16 (training steps and evaluations);
    // weights, their gradients, optimiser state and the loss stay fp32.
    return try MixedPrecision.computing(in: options.precision.dtype) { try session.trainToEnd() }
  }

  /// The training and validation splits and the loader, checked against the model and options.
  func openData() throws -> TrainingData {
    let o = options
    let trainSet = try openDataset(
      spec: o.data, split: .train, seed: o.seed, imagesDirectory: o.images, syntheticSize: o.syntheticSize)
    let valSet = try openDataset(
      spec: o.data, split: .val, seed: o.seed, imagesDirectory: o.images, syntheticSize: o.syntheticSize)
    try checkLabelsFit(trainSet, modelClasses: model.classes)
    var config = LoaderConfig(
      batchSize: o.batch, shuffle: true, dropLast: true, workers: o.workers, seed: o.seed,
      augmentation: .training(crop: o.crop, scaleRange: o.scaleRange, flip: o.flip),
      normalization: o.normalize, skipBad: o.skipBad)
    config.shard = parallel?.shard
    let loader = DataLoader(dataset: trainSet, config: config)
    guard loader.batchesPerEpoch >= o.accumulate else {
      throw TrainingError.config(
        "\(o.data) has \(trainSet.count) training samples: too few for --batch \(o.batch) × --accumulate \(o.accumulate)"
      )
    }
    let stepsPerEpoch = loader.batchesPerEpoch / o.accumulate
    return TrainingData(
      trainSet: trainSet, valSet: valSet, loader: loader, totalSteps: o.steps ?? (o.epochs ?? 1) * stepsPerEpoch)
  }

  /// A fresh run folder, or the state of `last` when resuming (model, optimizer, dropout
  /// generators, loader position, best score): everything an exact continuation needs.
  func restoreOrCreate(resume: Bool, data: TrainingData) throws -> TrainingSession {
    let optimizer = options.makeOptimizer(model.parameters.filter(\.trainable))
    var state = TrainState(
      step: 0, epoch: 0, batchInEpoch: 0, rngStates: model.randomStates, bestMeanIoU: nil, modelConfig: modelConfig)
    let resuming = resume && FileManager.default.fileExists(atPath: run.last.path)
    if resuming {
      let c = try Checkpoint.load(from: run.last)
      guard let s = c.state else { throw TrainingError.io("\(run.last.path) has no training state to resume from") }
      do {
        try s.checkResumable(dropoutLayers: model.randomStates.count)
        try model.restore(c.model)
        try optimizer.loadStateDict(c.optimizer)
      } catch {
        // Tensors, optimiser slots and counters that do not fit this model: the file's problem.
        throw TrainingError.io("\(run.last.path): cannot resume from it: \(error)")
      }
      model.randomStates = s.rngStates
      state = s
      say("resuming \(run.directory.path) at step \(s.step) (epoch \(s.epoch), batch \(s.batchInEpoch))")
    } else if writesRun {
      try run.create(allowExisting: false)
    }
    // Only rank 0 of a data-parallel job writes the run folder; the others log nowhere.
    guard writesRun else {
      return TrainingSession(
        trainer: self, data: data, optimizer: optimizer, schedule: options.makeSchedule(totalSteps: data.totalSteps),
        state: state, log: try RunLog(path: "/dev/null", truncate: false), lastSavedStep: resuming ? state.step : nil)
    }
    // A run killed while writing a checkpoint leaves its temporary file behind.
    for name in removeAbandonedTemporaryFiles(in: run.checkpoints) {
      say("removed \(name), left by a run killed while writing a checkpoint")
    }
    try run.writeConfig(options: options, modelConfig: modelConfig)
    return TrainingSession(
      trainer: self, data: data, optimizer: optimizer, schedule: options.makeSchedule(totalSteps: data.totalSteps),
      state: state, log: try RunLog(path: run.log.path, truncate: !resume), lastSavedStep: resuming ? state.step : nil)
  }

  /// The memory planner: refuse a configuration whose estimated peak exceeds what is available.
  func plan(_ trainSet: SegmentationDataset) throws {
    let o = options
    let size = try o.crop ?? trainSet.sample(at: 0).image.size
    // Each process of a data-parallel job holds its share of the batch.
    let localBatch = o.batch / max(1, o.worldSize)
    var estimate = memoryEstimate(batch: localBatch, height: size.height, width: size.width)
    // Checked once the memory is known to suffice: an absurd batch gets the memory refusal's
    // fuller advice first.
    guard estimate > memoryLimits.availableBytes else {
      return try checkLargestActivation(batch: localBatch, size: size)
    }
    if o.recompute == .auto && model.canRecompute {
      model.recomputesInBackward = true
      let recomputing = memoryEstimate(batch: localBatch, height: size.height, width: size.width)
      if recomputing <= memoryLimits.availableBytes {
        say(
          "memory: a step at batch \(o.batch), \(size) needs about \(formatBytes(estimate)), more than the \(formatBytes(memoryLimits.availableBytes)) available; recomputing each VGG block in backward (--recompute auto) it needs about \(formatBytes(recomputing))"
        )
        return try checkLargestActivation(batch: localBatch, size: size)
      }
      estimate = recomputing
    }
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
    if o.recompute == .off && model.canRecompute {
      model.recomputesInBackward = true
      if memoryEstimate(batch: localBatch, height: size.height, width: size.width) <= memoryLimits.availableBytes {
        advice.append("--recompute on (or auto)")
      }
      model.recomputesInBackward = false
    }
    if o.precision == .fp32 && BF16Support.current == .native { advice.append("--precision bf16") }
    throw TrainingError.memory(
      "refusing to start: a training step at batch \(o.batch), \(size) needs about \(formatBytes(estimate)) but only \(formatBytes(memoryLimits.availableBytes)) is available (\(memoryLimits.source)). Try: "
        + advice.joined(separator: "; "))
  }

  /// However much memory there is, a step whose largest activation is past what oneDNN's
  /// kernels can index would crash in the first convolution: refuse it with the batch or crop
  /// that would do.
  public func checkLargestActivation(batch: Int, size: ImageSize) throws {
    guard let net = model.planningModel else { return }
    let perImage = try modelInfo(of: net, height: size.height, width: size.width).largestActivation
    guard perImage.bytes * batch > largestTensorBytes else { return }
    let fits = largestTensorBytes / max(1, perImage.bytes)
    var advice = fits > 0 ? "--batch \(fits) (per process)" : ""
    let shrink = (Double(largestTensorBytes) / Double(perImage.bytes * batch)).squareRoot()
    let h = max(32, Int(Double(size.height) * shrink) / 32 * 32)
    let w = max(32, Int(Double(size.width) * shrink) / 32 * 32)
    advice += (advice.isEmpty ? "" : ", or ") + "--crop \(h)x\(w) at this batch"
    throw TrainingError.memory(
      "refusing to start: at batch \(batch) and \(size) the largest activation (\(perImage.layer)) is \(formatBytes(Int64(perImage.bytes * batch))), more than the \(formatBytes(Int64(largestTensorBytes))) oneDNN's kernels can index (they crash past it), however much memory there is. Try: \(advice)"
    )
  }

  /// Weights, gradients and activations (the model's estimate), optimiser slots, and the
  /// loader's prefetched batches.
  public func memoryEstimate(batch: Int, height: Int, width: Int) -> Int64 {
    // In floating point, clamped: absurd flags (a huge batch, crop and --workers together)
    // must give "too much", not overflow.
    let params = Double(model.parameterCount) * 4
    // The model's estimate already counts one optimiser slot (SGD's momentum); Adam has one more.
    let slots = Double(max(0, options.optimizer.stateSlots - 1))
    let loaderBuffers =
      Double(2 * max(1, options.workers) + 1) * Double(batch) * Double(height) * Double(width) * (3 * 4 + 4 + 3)
    let saved = Double(options.updatesDuringBackward ? model.gradientBytesSavedDuringBackward : 0)
    let loss = Double(options.loss.extraWorkingBytes(pixels: batch * height * width, classes: model.classes))
    var modelBytes = Double(model.trainingBytes(batch: batch, height: height, width: width))
    if options.precision == .bf16 {
      // Activations and their gradients are bf16, but not the weight-sized transients and
      // oneDNN's fp32 work buffers: measured on course-fcn8 (docs/benchmarks.md, bf16), the pool's
      // peak use fell 23–36 % and peak RSS up to 18 %, so a quarter of what grows with the batch.
      modelBytes -= (Double(model.trainingBytes(batch: 2 * batch, height: height, width: width)) - modelBytes) / 4
    }
    let total = modelBytes - saved + slots * params + loaderBuffers + loss
    return total >= Double(Int64.max) ? Int64.max : Int64(total)
  }
}

extension RGBImage {
  var size: ImageSize { ImageSize(height: height, width: width) }
}
