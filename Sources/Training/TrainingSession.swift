import Foundation
import NN
import SegData
import SegMetrics
import Tensor

/// The data one training run reads.
struct TrainingData {
  var trainSet: SegmentationDataset
  var valSet: SegmentationDataset
  var loader: DataLoader
  var totalSteps: Int
}

/// One run of the training loop, from a restored or fresh state to its end: the state that
/// changes step by step (TrainState, the accumulated loss, the loader position) and the steps
/// that change it, each a short function.
final class TrainingSession {
  let trainer: Trainer
  let data: TrainingData
  let optimizer: Optimizer
  let schedule: LRSchedule
  var state: TrainState
  let log: RunLog
  /// The step `last` holds: a run that stops on a non-finite loss says what it kept.
  var lastSavedStep: Int?
  let progress: ProgressBar
  /// SGD applied to each parameter during backward (see UpdateDuringBackward), or nil.
  let immediate: ImmediateUpdate?
  /// runs/NAME/tb/: what log.jsonl records, for `tensorboard --logdir runs`.
  let board: TensorBoardSink

  var model: TrainableModel { trainer.model }
  var options: TrainOptions { trainer.options }
  var run: RunFolder { trainer.run }

  /// Micro-batches since the last optimizer step, and their summed loss (÷ accumulate).
  var micro = 0
  var lossSum: Float = 0
  var stepStart = Date()
  var smoothedLoss: Float?

  init(
    trainer: Trainer, data: TrainingData, optimizer: Optimizer, schedule: LRSchedule, state: TrainState,
    log: RunLog, lastSavedStep: Int?
  ) {
    self.trainer = trainer
    self.data = data
    self.optimizer = optimizer
    self.schedule = schedule
    self.state = state
    self.log = log
    self.lastSavedStep = lastSavedStep
    progress = ProgressBar(total: data.totalSteps, label: "train")
    immediate = updateDuringBackward(trainer.options, optimizer, trainer.model.parameters)
    board = TensorBoardSink(directory: trainer.writesRun ? trainer.run.tensorboard : nil, say: trainer.say)
  }

  /// The loop over epochs and batches, then the final evaluation and run-folder outputs.
  func trainToEnd() throws -> Trainer.Result {
    model.setTraining(true)
    for bn in model.batchNormLayers { bn.frozen = options.freezeBatchNorm }
    var position = LoaderPosition(epoch: state.epoch, batch: state.batchInEpoch)
    var stopped = false
    outer: while state.step < data.totalSteps && !patienceExhausted {
      let stream = data.loader.batches(from: position)
      defer { stream.cancel() }
      let streamEpoch = position.epoch
      while let batch = try stream.next() {
        try trainingStep(batch)
        position = batch.next
        guard micro == options.accumulate else { continue }
        try optimizerStep(epoch: batch.position.epoch, next: position)
        if trainer.stopRequested() {
          stopped = true
          break outer
        }
        stepStart = Date()
        if state.step >= data.totalSteps || patienceExhausted { break outer }
      }
      // The epoch's stream ran out (its last batch's `next` is normally the next epoch already;
      // skipped bad samples can end it early).
      if position.epoch == streamEpoch { position = LoaderPosition(epoch: streamEpoch + 1, batch: 0) }
    }
    progress.finish()
    try saveLast()
    if stopped {
      trainer.say("stopped at step \(state.step); resume with --resume")
      return Trainer.Result(steps: state.step, stopped: true, metrics: nil, bestMeanIoU: state.bestMeanIoU)
    }
    if patienceExhausted { reportEarlyStop() }
    let (metrics, _) = try evaluateAndKeepBest(samples: 4, countsForPatience: false)
    try saveLast()
    if trainer.writesRun {
      try run.writeMetrics(metrics)
      // Again, now that metrics.json marks the run finished.
      run.writeReport(step: state.step, matrix: nil, classNames: [])
    }
    return Trainer.Result(steps: state.step, stopped: false, metrics: metrics, bestMeanIoU: state.bestMeanIoU)
  }

  /// Forward, loss and backward of one (micro-)batch; gradients accumulate until the optimizer
  /// step. The loss seed is 1/accumulate, so accumulated gradients average the micro-batches.
  func trainingStep(_ batch: Batch) throws {
    if let parallel = trainer.parallel { return try dataParallelStep(batch, parallel) }
    if micro == 0 { for p in model.parameters { p.zeroGrad() } }
    let images = try imageTensor(batch)
    let labels = try Tensor(shape: batch.labelShape, labels: batch.labels)
    // Updating during backward needs this step's rate before backward starts.
    if immediate != nil { optimizer.learningRate = schedule.learningRate(at: state.step) }
    let loss = try immediate.during {
      let tape = Tape()
      let loss = try tape.record {
        // Under --precision bf16 the logits are bf16: the loss and its gradient are fp32.
        try options.loss(cast(model(Variable(images)), to: .f32), labels: labels, classWeights: options.classWeights)
      }
      // A non-finite loss must not reach the weights: with updates during backward, stop
      // before backward (optimizerStep then refuses the step, as on the ordinary path).
      guard immediate == nil || loss.value.floats[0].isFinite else { return loss }
      try tape.backward(from: loss, seed: Tensor(shape: [1], values: [1 / Float(options.accumulate)]))
      return loss
    }
    lossSum += loss.value.floats[0] / Float(options.accumulate)
    micro += 1
  }

  /// Checks the loss, clips, updates the weights at the scheduled rate, logs, and checkpoints or
  /// evaluates when their step comes.
  func optimizerStep(epoch: Int, next position: LoaderPosition) throws {
    let lr = schedule.learningRate(at: state.step)
    guard lossSum.isFinite else {
      // Stepping on would turn every weight into NaN: stop before the optimiser does, log the
      // step (the loss as null, flagged), keep `last` as it was.
      let record = StepRecord(step: state.step + 1, epoch: epoch, loss: Double(lossSum), lr: Double(lr))
      log.write(record)
      board.step(record)
      progress.finish()
      throw TrainingError.nonFiniteLoss(
        step: state.step + 1, loss: lossSum, lastCheckpoint: lastSavedStep.map { (run.last.path, $0) })
    }
    if let clip = options.clipNorm { clipGradNorm(model.parameters, maxNorm: clip) }
    optimizer.learningRate = lr
    if immediate == nil { try optimizer.step() }
    state.step += 1
    (state.epoch, state.batchInEpoch) = (position.epoch, position.batch)
    report(epoch: epoch, lr: lr)
    micro = 0
    lossSum = 0
    // Evaluation first: a checkpoint of this step then holds its best score and early-stopping
    // count, so a run resumed from it does not lose them (evaluating changes no weight, running
    // statistic, generator or loader position).
    if options.evalEvery > 0 && state.step % options.evalEvery == 0 && state.step < data.totalSteps {
      progress.finish()
      let (m, _) = try evaluateAndKeepBest()
      trainer.say(String(format: "step %d: val mIoU %.4f, pixel acc %.4f", state.step, m.meanIoU, m.pixelAccuracy))
    }
    if options.checkpointEvery > 0 && state.step % options.checkpointEvery == 0 { try saveLast() }
  }

  /// The step's log line and progress bar.
  func report(epoch: Int, lr: Float) {
    let seconds = Date().timeIntervalSince(stepStart)
    let imagesPerSecond = Double(options.batch * options.accumulate) / max(seconds, 1e-9)
    let smoothed = smoothedLoss.map { 0.9 * $0 + 0.1 * lossSum } ?? lossSum
    smoothedLoss = smoothed
    let record = StepRecord(
      step: state.step, epoch: epoch, loss: Double(lossSum), lr: Double(lr), imagesPerSecond: imagesPerSecond,
      allreduceSeconds: trainer.parallel?.waitSeconds)
    log.write(record)
    board.step(record)
    progress.update(
      state.step,
      fields: [
        "epoch": "\(epoch + 1)", "loss": String(format: "%.4f", smoothed), "lr": String(format: "%.2e", lr),
        "img/s": String(format: "%.1f", imagesPerSecond),
      ])
  }

  /// checkpoints/last: weights, optimizer state and everything an exact resume needs.
  func saveLast() throws {
    state.rngStates = model.randomStates
    guard trainer.writesRun else {
      lastSavedStep = state.step
      return
    }
    do {
      try Checkpoint.save(to: run.last, model: model.stateDict(), optimizer: optimizer.stateDict(), state: state)
    } catch TrainingError.nonFiniteWeights(let step, let tensor, let path) {
      // The loss was still finite but the step overflowed a weight: log the step, then stop.
      log.write(StepRecord(step: step, nonFiniteTensor: tensor))
      throw TrainingError.nonFiniteWeights(step: step, tensor: tensor, path: path)
    }
    lastSavedStep = state.step
    try StepCheckpoints(run: run, keep: options.keepLast).keepLast(step: state.step)
  }

  /// Scores the validation split, logs it, and keeps checkpoints/best when the mIoU improved;
  /// the first `samples` validation images are written to samples/, and the run's report
  /// (confusion.json, plots/, report.html) is brought up to date, so it can be watched.
  func evaluateAndKeepBest(samples: Int = 4, countsForPatience: Bool = true) throws -> (Metrics, ConfusionMatrix) {
    var written = 0
    // A data-parallel job scores every N-th image on each process and adds the matrices.
    let valSet = trainer.parallel.map { $0.share(of: data.valSet) } ?? data.valSet
    let extraClasses = valSet.classCount < model.classes ? (valSet.classCount..<model.classes).map { "class\($0)" } : []
    let classNames = valSet.classNames + extraClasses
    var matrix = try evaluate(
      model, dataset: valSet, normalization: options.normalize, workers: options.workers, note: trainer.say
    ) { batch, predicted in
      guard self.trainer.writesRun, written < samples, let index = batch.indices.first else { return }
      let file = try self.run.writeSample(
        valSet.sample(at: index), predicted: predicted, name: valSet.sampleID(at: index), classNames: classNames)
      self.board.pngFile(file, tag: "samples/" + file.deletingPathExtension().lastPathComponent, step: self.state.step)
      written += 1
    }
    if let parallel = trainer.parallel { matrix = try parallel.summed(matrix) }
    let m = try matrix.metrics(classNames: classNames)
    let record = EvaluationRecord(
      step: state.step, meanIoU: m.meanIoU, pixelAccuracy: m.pixelAccuracy, meanAccuracy: m.meanAccuracy,
      frequencyWeightedIoU: m.fwIoU, perClassIoU: m.perClassIoU)
    log.write(record)
    board.evaluation(record, metrics: m, confusion: matrix)
    if trainer.writesRun { run.writeReport(step: state.step, matrix: matrix, classNames: classNames) }
    if countsForPatience { countForPatience(m.meanIoU) }
    if state.bestMeanIoU == nil || m.meanIoU > state.bestMeanIoU! {
      state.bestMeanIoU = m.meanIoU
      state.rngStates = model.randomStates
      guard trainer.writesRun else { return (m, matrix) }
      try Checkpoint.save(to: run.best, model: model.stateDict(), optimizer: [:], state: state)
    }
    return (m, matrix)
  }
}
