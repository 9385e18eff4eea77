import ArgumentParser
import Distributed
import FCN
import Foundation
import SegData
import Training

/// Set by SIGINT; the trainer polls it at every step boundary.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train an FCN; writes runs/NAME/ (config, log, checkpoints, metrics, plots, samples).")

  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var trainOptions: TrainArguments

  func run() throws {
    // Started by mpirun: one process of a data-parallel job (DataParallelLaunch.swift).
    let group = try joinDataParallelJob()
    let (options, config, run) = try trainOptions.resolve(modelOptions, worldSize: group?.size ?? 1)
    try group?.checkSameSettings(
      dataParallelSettings(
        options: options, config: config, run: run, resume: trainOptions.resume, initFrom: trainOptions.initFrom))
    try runTraining(
      options: options, config: config, run: run, resume: trainOptions.resume, initFrom: trainOptions.initFrom,
      group: group)
    group?.finalize()
  }
}

/// Options of `fcn train` (and the defaults `fcn demo` overrides).
struct TrainArguments: ParsableArguments {
  @Option(help: "Data set KIND:PATH: synthetic[:N], folder:DIR, voc:DIR, coco:ANN.json, cityscapes:DIR.") var data =
    "synthetic:256"
  @Option(help: "Images folder for coco:ANN.json (default: next to the JSON).") var images: String?
  @Option(help: "Training crop HxW (default: synthetic images' size; whole images otherwise).") var crop: String?
  @Option(help: "Size HxW of generated synthetic images.") var syntheticSize = "64x64"
  @Option(help: "Images per batch.") var batch = 8
  @Option(help: "Epochs to train (default 1 unless --steps).") var epochs: Int?
  @Option(help: "Optimiser steps to train (overrides --epochs).") var steps: Int?
  @Option(
    help:
      "Optimiser. sgd with --accumulate 1 and no --clip-norm updates each weight during backward, as soon as its gradient is complete, so no gradient is kept per weight (the model's size in memory saved; same weights bit for bit)."
  ) var optimizer = OptimizerKind.sgd
  @Option(help: "Base learning rate.") var lr: Float = 0.01
  @Option(help: "SGD momentum.") var momentum: Float = 0.9
  @Option(help: "Weight decay (L2 for sgd/adam, decoupled for adamw).") var weightDecay: Float = 5e-4
  @Option(help: "Learning-rate schedule: poly (power 0.9), step (×0.1 at each third), cosine (to 0) or constant.")
  var schedule = ScheduleKind.poly
  @Option(help: "Linear warm-up steps.") var warmup = 0
  @Option(
    help: "Clip gradients to this global L2 norm (needs every gradient first: SGD then updates after backward).")
  var clipNorm: Float?
  @Option(help: "Class weights: a file with one weight per line, or 'auto' (median frequency).") var classWeights:
    String?
  @Option(
    help:
      "Compute precision: fp32, or bf16 mixed precision (convolutions and activations in bf16, fp32 weights, optimiser and loss; where oneDNN runs bf16: bf16 hardware, or emulated on AVX-512, slower, with a warning). Default fp32; --resume keeps the run's."
  ) var precision: Precision?
  @Option(
    help:
      "Batches per optimiser step (gradient accumulation; above 1, gradients are kept and SGD updates after backward)."
  ) var accumulate = 1
  @Option(
    name: .customLong("init"),
    help: "Initial weights: a .pth/.safetensors (torchvision VGG, a state_dict, or a run's checkpoint).") var initFrom:
    String?
  @Option(help: "Random seed (data order, augmentation, initialisation, dropout).") var seed: UInt64 = 0
  @Option(help: "Data loader worker threads.") var workers = 1
  @Option(help: "Run folder.") var run = "runs/train"
  @Flag(help: "Continue the run in --run from its last checkpoint.") var resume = false
  @Option(help: "Evaluate on the validation split every N steps (0: only at the end).") var evalEvery = 0
  @Option(help: "Write checkpoints/last every N steps.") var checkpointEvery = 50
  @Option(help: "Input normalisation.") var normalize = Normalization.imagenet
  @Option(help: "Scale each training image by a random factor in MIN,MAX before the crop (1,1: no scaling).")
  var scaleJitter = formatRange(TrainOptions.defaultScaleJitter)
  @Flag(inversion: .prefixedNo, help: "Flip training images horizontally at random (half of them).") var flip = true
  @Flag(help: "Warn about and skip bad samples instead of stopping.") var skipBad = false
  @Option(
    help:
      "Activation checkpointing: on keeps only each VGG block's input for backward and runs the block again there (far less memory, one more backbone forward per step, the same weights bit for bit); auto does so only when the ordinary step would not fit in memory."
  ) var recompute = RecomputeMode.auto
  @OptionGroup var competition: CompetitionTrainingArguments
  @Flag(
    help:
      "Under mpirun: BatchNorm uses the statistics of the whole global batch (all processes), so BN nets train as in one process."
  ) var syncBn = false

  func resolve(_ model: ModelOptions, worldSize: Int = 1) throws -> (TrainOptions, ModelConfig, RunFolder) {
    var o = TrainOptions()
    (o.worldSize, o.syncBN) = (worldSize, syncBn)
    o.model = model.name
    o.data = data
    o.syntheticSize = try parseSize(syntheticSize, option: "--synthetic-size")
    o.crop = try crop.map { try parseSize($0, option: "--crop") }
    (o.batch, o.epochs, o.steps, o.optimizer) = (batch, epochs, steps, optimizer)
    (o.learningRate, o.momentum, o.weightDecay, o.schedule, o.warmup) = (lr, momentum, weightDecay, schedule, warmup)
    (o.clipNorm, o.accumulate, o.seed, o.workers) = (clipNorm, accumulate, seed, workers)
    o.precision = try precision ?? (resume ? readTrainOptions(RunFolder(run))?.precision : nil) ?? .fp32
    (o.evalEvery, o.checkpointEvery, o.normalize, o.skipBad) = (evalEvery, checkpointEvery, normalize, skipBad)
    (o.scaleJitter, o.flip) = (try parseRange(scaleJitter, option: "--scale-jitter"), flip)
    o.recompute = recompute
    try competition.apply(to: &o)
    try o.validate()
    o.images = images
    let trainSet = try openDataset(
      spec: data, split: .train, seed: seed, imagesDirectory: images, syntheticSize: o.syntheticSize)
    let config = try model.config(classes: trainSet.classCount, seed: seed)
    if let classWeights {
      o.classWeights = try loadClassWeights(classWeights, dataset: trainSet, classes: config.classes)
      competition.noteUnweightedTerms(o.loss)
    }
    return (o, config, RunFolder(run))
  }
}

func runTraining(
  options: TrainOptions, config: ModelConfig, run: RunFolder, resume: Bool, initFrom: String?,
  group: ProcessGroup? = nil
) throws {
  let model = try FCNModel(config)
  if let initFrom, !resume {
    let source = try Checkpoint.load(from: URL(fileURLWithPath: initFrom))
    let report = try naming(initFrom) { try ModelWeights.load(source.model, into: model, strict: false) }
    print(
      "init: loaded \(report.loaded.count) tensors from \(initFrom)"
        + (report.missing.isEmpty ? "" : " (\(report.missing.count) kept at their initial values)"))
  }
  let configJSON = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
  let trainer = try Trainer(options: options, model: model, modelConfig: configJSON, run: run)
  signal(SIGINT) { _ in interruptRequested = 1 }
  trainer.stopRequested = { interruptRequested != 0 }
  if let group {
    trainer.parallel = DataParallel(
      group: group, model: model, options: options,
      overlap: ProcessInfo.processInfo.environment["FCN_ALLREDUCE_OVERLAP"] != "0")
    // Every process stops at the same step when any of them was interrupted.
    trainer.stopRequested = { (try? group.anyTrue(interruptRequested != 0)) ?? true }
  }
  let processes =
    group.map { " on \($0.size) processes (global batch \(options.batch), \(options.batch / $0.size) each)" } ?? ""
  print(
    "training \(config.name) (\(model.parameterCount) parameters) on \(options.data) → \(run.directory.path)\(processes)"
  )
  let result = try trainer.train(resume: resume)
  signal(SIGINT, SIG_DFL)
  if let m = result.metrics {
    print(
      String(format: "done: %d steps, val mIoU %.4f, pixel accuracy %.4f", result.steps, m.meanIoU, m.pixelAccuracy))
  }
}

/// One weight per line, or median-frequency balancing over (up to 500) training masks.
func loadClassWeights(_ spec: String, dataset: SegmentationDataset, classes: Int) throws -> [Float] {
  if spec == "auto" {
    var counts = [Double](repeating: 0, count: classes)
    for i in 0..<min(dataset.count, 500) {
      for l in try dataset.sample(at: i).mask.labels where Int(l) < classes { counts[Int(l)] += 1 }
    }
    let present = counts.filter { $0 > 0 }.sorted()
    guard !present.isEmpty else {
      throw TrainingError.config("--class-weights auto: no labelled pixels in \(dataset.description)")
    }
    let median = present[present.count / 2]
    return counts.map { $0 > 0 ? Float(median / $0) : 0 }
  }
  guard let text = try? String(contentsOfFile: spec, encoding: .utf8) else {
    throw DataError(file: spec, problem: "cannot read class weights")
  }
  let weights = try text.split(whereSeparator: \.isNewline).map { line -> Float in
    guard let w = Float(line.trimmingCharacters(in: .whitespaces)), w >= 0 else {
      throw DataError(file: spec, problem: "'\(line)' is not a non-negative number")
    }
    return w
  }
  guard weights.count == classes else {
    throw DataError(file: spec, problem: "\(weights.count) weights for \(classes) classes")
  }
  return weights
}
