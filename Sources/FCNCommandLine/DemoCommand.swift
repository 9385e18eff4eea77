import ArgumentParser
import FCN
import Foundation
import NN
import Training

/// `fcn demo`: the default job. Trains a small FCN-8s on the generated synthetic set (nothing
/// to download), evaluates it, and writes runs/demo/.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo", abstract: "Train a small FCN on the built-in synthetic data set and write runs/demo/.")

  @Option(help: "Model (try fcn32s to see what the skips buy).") var model: ModelName = .fcn8s
  @Option(help: "Optimiser steps.") var steps = 1000
  @Option(help: "Backbone (BatchNorm makes the small net train fast).") var backbone = Backbone.vgg16bn
  @Option(help: "Backbone channel multiplier.") var width = 0.25
  @Option(help: "Base learning rate (AdamW).") var lr: Float = 2e-3
  @Option(help: "Images per batch.") var batch = 8
  @Option(name: .customLong("run"), help: "Run folder.") var runFolder = "runs/demo"
  @Option(help: "Random seed.") var seed: UInt64 = 0
  @Flag(help: "Replace an existing run folder instead of refusing.") var overwrite = false
  @Option(help: "Loss, as fcn train --loss (e.g. ce:1,dice:0.5).") var loss = "ce:1"
  @Option(help: "Compute precision, as fcn train --precision (fp32 or bf16).") var precision = Precision.fp32

  func run() throws {
    var o = TrainOptions()
    o.model = model
    o.data = "synthetic:512"
    o.syntheticSize = .init(height: 64, width: 64)
    o.batch = batch
    o.steps = steps
    o.optimizer = .adamw
    o.learningRate = lr
    o.weightDecay = 1e-4
    o.schedule = .poly
    o.warmup = 20
    o.seed = seed
    o.workers = 1
    o.evalEvery = steps / 4
    o.checkpointEvery = 100
    o.loss = try SegmentationLoss(parsing: loss)
    o.precision = precision
    // Small and fast: a quarter-width VGG16 with the compact (1×1 fc6) head and learnable
    // upsampling; the paper's pad-100 head would spend most of its time on padding at 64×64.
    let config = try ModelConfig(
      model: model, classes: 6, backbone: backbone, head: .compact, width: width, fc: 256,
      frozenUpsampling: false, seed: seed)
    let folder = RunFolder(runFolder)
    if overwrite { try? FileManager.default.removeItem(at: folder.directory) }
    let start = Date()
    try runTraining(options: o, config: config, run: folder, resume: false, initFrom: nil)
    print(String(format: "demo finished in %.0f s. Look at:", Date().timeIntervalSince(start)))
    for (what, url) in [
      ("report", folder.report), ("metrics", folder.metrics), ("curves", folder.plots), ("predictions", folder.samples),
      ("log", folder.log),
      ("weights", folder.best),
    ] {
      print("  \(what.padding(toLength: 12, withPad: " ", startingAt: 0)) \(url.path)")
    }
    print("next: fcn eval --run \(runFolder)   ·   fcn predict --run \(runFolder) --input IMAGE --output out/")
  }
}
