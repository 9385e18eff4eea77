import FCN
import Foundation
import NN
import SeededRandom
import Tensor
import Training

/// Times whole-model steps the way tools/bench_pytorch.py does: inference is a forward pass in
/// eval mode with no tape; training is zero-grad, forward, pixel cross-entropy, backward and an
/// SGD momentum step, on a fixed random batch.
struct ModelBenchmark {
  enum Mode: String, Codable, CaseIterable, Sendable { case infer, train }

  var config: ModelConfig
  var height: Int
  var width: Int
  var batch: Int
  var mode: Mode
  var warmup: Int
  var steps: Int
  /// Train mode: update each parameter as soon as its gradient is complete (`ImmediateUpdate`,
  /// what `fcn train` does with SGD and --accumulate 1) or after the whole backward pass.
  var immediateUpdate = true
  /// Train mode: recompute each VGG block in backward (`fcn train --recompute on`).
  var recompute = false
  /// Train mode: f32, or bf16 mixed precision (`fcn train --precision bf16`).
  var precision = DType.f32

  struct Result {
    var stepSeconds: Spread
    /// FLOPs of one step: the forward pass, and for training also backward-data and
    /// backward-weights, each counted as one more forward (2·MACs per conv per pass).
    var flopsPerStep: Double
    var peakRSSBytes: Int64
    /// The buffer pool's size, and the most of it in use at once.
    var poolBytes: Int
    var poolPeakInUseBytes: Int
  }

  func run() throws -> Result {
    // Before the model exists: modelInfo builds a model of its own, whose buffers then serve ours.
    let forward = Double(try modelInfo(config: config, height: height, width: width, batch: batch).forwardFLOPs)
    let model = try FCNModel(config)
    model.setTraining(mode == .train)
    model.recomputesInBackward = recompute
    var rng = Xoshiro256(seed: 1)
    let pixels = (0..<(batch * 3 * height * width)).map { _ in rng.nextUnitFloat() * 2 - 1 }
    let image = try Tensor(shape: [batch, 3, height, width], values: pixels)
    let labels = try Tensor(
      shape: [batch, height, width],
      labels: (0..<(batch * height * width)).map { _ in Int32(rng.next() % UInt64(config.classes)) })
    let optimizer = SGD(model.parameters, learningRate: 1e-4, momentum: 0.9)
    let precision = self.precision
    // Logits in fp32 for the loss whatever the compute type (as fcn train).
    let logits = { try cast(MixedPrecision.computing(in: precision) { try model(Variable(image)) }, to: .f32) }

    let step: () throws -> Void
    switch mode {
    case .infer:
      step = { _ = try model(Variable(image)) }
    case .train:
      let immediate = ImmediateUpdate(model.parameters) { optimizer.update($0, gradient: $1) }
      step = {
        if immediateUpdate {
          try immediate.during {
            let tape = Tape()
            let loss = try tape.record { try softmaxCrossEntropy(logits(), labels: labels) }
            try tape.backward(from: loss)
          }
        } else {
          for p in model.parameters { p.zeroGrad() }
          let tape = Tape()
          let loss = try tape.record { try softmaxCrossEntropy(logits(), labels: labels) }
          try tape.backward(from: loss)
          try optimizer.step()
        }
      }
    }
    // As `fcn eval` and `fcn predict` run: inference keeps blocked weight copies between passes.
    let times = try keepingInferenceCopies(of: mode == .infer ? model.parameters : []) {
      for _ in 0..<warmup { try step() }
      return try (0..<steps).map { _ in try seconds(step) }
    }
    return Result(
      stepSeconds: Spread(times), flopsPerStep: mode == .train ? 3 * forward : forward, peakRSSBytes: peakRSSBytes(),
      poolBytes: BufferPool.shared.bytesAllocated, poolPeakInUseBytes: BufferPool.shared.peakBytesInUse)
  }
}

/// The machine's limit for a pass mix: GFLOP/s of the benchmark 3×3 convolution, forward only
/// for inference, forward + backward-data + backward-weights (equal FLOPs each) for training.
func convolutionLimit(_ results: [ConvBenchResult], mode: ModelBenchmark.Mode) -> Double {
  let passes = mode == .infer ? results.filter { $0.pass == "fwd" } : results
  let flopsPerPass = ConvBenchmark(warmup: 0, repeats: 0).flops
  let seconds = passes.reduce(0) { $0 + $1.ms.median / 1e3 }
  return Double(passes.count) * flopsPerPass / seconds / 1e9
}
