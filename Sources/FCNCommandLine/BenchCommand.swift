import ArgumentParser
import FCN
import Foundation
import NN
import SeededRandom
import SegData
import Tensor
import Training

/// `fcn bench`: the engine's speed, as median and spread of repeated runs.
/// `--op conv` times the machine's limit for FCN's dominant op, a 3×3 convolution (N=2,
/// 256→256, 64×64), forward, backward-data and backward-weights one pass at a time.
/// `--model M --size HxW --batch B --mode infer|train` times whole steps and reports them also
/// as a share of that limit. Output matches tools/bench_pytorch.py so the two can be compared.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Measure the engine's speed (median and spread of repeated runs).")

  /// What a bare `fcn bench` (no --model) measures.
  enum Op: String, Codable, CaseIterable, Sendable {
    /// The 3×3 convolution, each pass.
    case conv
    /// 512×512 JPEG decode + augmentation, with 1 and 2 workers.
    case loader
  }

  @Option(
    help:
      "What to measure when no --model is given: conv (3×3 convolution) or loader (512×512 JPEG decode + augmentation, 1 and 2 workers)."
  ) var op = Op.conv
  @OptionGroup var modelOptions: ModelOptions
  @Option(help: "Input size HxW for --model.") var size = "256x256"
  @Option(help: "Images per step for --model.") var batch = 2
  @Option(help: "For --model: infer (eval mode, no tape) or train (forward, loss, backward, SGD step).") var mode =
    ModelBenchmark.Mode.infer
  @Option(help: "Timed model steps.") var steps: Int = 10
  @Option(help: "Timed repeats of each convolution pass.") var repeats: Int = 10
  @Option(help: "Untimed warm-up runs.") var warmup: Int = 3
  @Option(
    help:
      "Compute precision: fp32; bf16 (--mode infer: timed beside fp32; --mode train: a bf16 mixed-precision step, as fcn train --precision bf16; where oneDNN runs bf16, emulated on AVX-512 without bf16 hardware); int8 (--mode infer: the model quantised on synthetic calibration images, timed beside fp32)."
  ) var precision = BenchPrecision.fp32
  @Flag(
    help: "--mode infer: also time the training graph in eval mode (BatchNorm not folded), as inference ran before.")
  var unfolded = false
  @Option(help: "--precision int8: layers kept fp32 (first, score, first,score or none), as fcn quantize.")
  var keepFp32 = "none"
  @Option(
    help:
      "For --mode train: when SGD updates each weight: immediate (as soon as backward has its gradient, so no gradient is kept per parameter; what fcn train does) or after-backward."
  ) var update = WeightUpdateTiming.immediate
  @Flag(help: "For --mode train: recompute each VGG block in backward, as fcn train --recompute on does.")
  var recompute = false
  @Flag(help: "Print JSON only.") var json = false

  /// Classes when --classes is not given (VOC's 21).
  static let defaultClasses = 21

  func validate() throws {
    guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
    guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be at least 0, got \(warmup)") }
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
  }

  func run() throws {
    if precision == .bf16 {
      // Checked first: where oneDNN runs no bf16 this says so before anything is timed.
      guard modelOptions.model != nil else {
        throw ValidationError("--precision bf16 times a model: give --model (the --op benchmarks are fp32)")
      }
      try BF16Support.require { printError("fcn: " + $0) }
    }
    let machine = MachineInfo.current
    if !json {
      print("machine: \(machine.cpu), \(machine.cores) cores, oneDNN \(machine.onednn), ISA \(machine.isa)")
    }
    if modelOptions.model != nil {
      try runModel(machine: machine)
      return
    }
    if op == .loader {
      for result in try measureLoaderThroughput(side: 512, count: 64, batchSize: 8, workerCounts: [1, 2]) {
        print(result)
      }
      return
    }
    for result in try ConvBenchmark(warmup: warmup, repeats: repeats).run() {
      if json {
        print(try jsonLine(result.record))
      } else {
        print(
          String(
            format: "conv3x3 %-11@ median %7.2f ms  (min %.2f, max %.2f)  %6.1f GFLOP/s", result.pass, result.ms.median,
            result.ms.min, result.ms.max, result.gflops))
      }
    }
  }

  private func runModel(machine: MachineInfo) throws {
    let s = try parseSize(size, option: "--size")
    let config = try modelOptions.config(classes: Self.defaultClasses)
    let name = config.model
    if mode == .infer {
      try runInference(config: config, height: s.height, width: s.width)
      return
    }
    guard precision != .int8 else { throw ValidationError("--precision int8 is for --mode infer") }
    let bench = ModelBenchmark(
      config: config, height: s.height, width: s.width, batch: batch, mode: mode, warmup: warmup, steps: steps,
      immediateUpdate: update == .immediate, recompute: recompute, precision: precision == .bf16 ? .bf16 : .f32)
    let result = try bench.run()
    // The limit is measured after the model so that the peak RSS reported is the model's own.
    let limit = convolutionLimit(try ConvBenchmark(warmup: 2, repeats: 10).run(), mode: mode)
    let gflops = result.flopsPerStep / result.stepSeconds.median / 1e9
    let imagesPerSecond = Double(batch) / result.stepSeconds.median
    if json {
      var record = ModelBenchRecord(
        model: name.rawValue, mode: mode.rawValue, batch: batch, size: size, classes: config.classes,
        imagesPerSecond: imagesPerSecond, stepSecondsMedian: result.stepSeconds.median,
        stepSecondsMin: result.stepSeconds.min, stepSecondsMax: result.stepSeconds.max, gflops: gflops,
        limitGFLOPS: limit, percentOfLimit: 100 * gflops / limit, peakRSSBytes: result.peakRSSBytes,
        poolBytes: result.poolBytes, poolPeakInUseBytes: result.poolPeakInUseBytes)
      record.dtype = precision == .bf16 ? "bf16" : "f32"
      print(try jsonLine(record))
    } else {
      print(
        String(
          format: "%@ %@ %@ %dx%d batch %d: step median %.3f s (min %.3f, max %.3f), %.2f img/s", name.rawValue,
          mode.rawValue, precision == .bf16 ? "bf16" : "f32",
          s.height, s.width, batch, result.stepSeconds.median, result.stepSeconds.min, result.stepSeconds.max,
          imagesPerSecond))
      print(
        String(
          format: "  %.1f GFLOP/s = %.0f%% of this machine's 3×3 conv limit (%.1f GFLOP/s)", gflops,
          100 * gflops / limit, limit))
      print(
        "  peak RSS \(formatBytes(result.peakRSSBytes)); tensor pool \(formatBytes(Int64(result.poolBytes))), "
          + "at most \(formatBytes(Int64(result.poolPeakInUseBytes))) of it in use at once")
    }
  }
}

struct ConvBenchResult {
  var pass: String
  var ms: Spread
  var gflops: Double

  var record: ConvBenchRecord {
    ConvBenchRecord(pass: pass, msMedian: ms.median, msMin: ms.min, msMax: ms.max, gflops: gflops)
  }
}

/// Times each pass of the benchmark convolution through the same op code a training step uses.
struct ConvBenchmark {
  let n = 2, c = 256, h = 64, w = 64
  var warmup: Int
  var repeats: Int

  var flops: Double { 2 * Double(n * c * h * w * c * 9) }

  func run() throws -> [ConvBenchResult] {
    var rng = Xoshiro256(seed: 0)
    let weightValues = (0..<(c * c * 9)).map { _ in (rng.nextUnitFloat() - 0.5) * 0.04 }
    let frozen = try Parameter("w", shape: [c, c, 3, 3], values: weightValues, trainable: false)
    let trained = try Parameter("w", shape: [c, c, 3, 3], values: weightValues)
    let geometry = ConvGeometry(padding: 1)
    let plain = try Tensor(shape: [n, c, h, w], values: (0..<(n * c * h * w)).map { _ in rng.nextUnitFloat() })
    // The input as a trainer sees it: the previous conv's output, in oneDNN's blocked layout.
    let x = try conv2d(Variable(plain), weight: frozen, bias: nil, geometry: geometry).value

    func timed(_ body: () throws -> Double) throws -> Spread {
      for _ in 0..<warmup { _ = try body() }
      return Spread(try (0..<repeats).map { _ in try body() * 1e3 })
    }
    let forward = try timed {
      try seconds { _ = try conv2d(Variable(x), weight: frozen, bias: nil, geometry: geometry) }
    }
    /// Backward alone: the forward is recorded untimed, then one backward pass is timed.
    func backward(inputGrad: Bool, weight: Parameter) throws -> Spread {
      try timed {
        let input = Variable(x, requiresGrad: inputGrad)
        let tape = Tape()
        let y = try tape.record { try conv2d(input, weight: weight, bias: nil, geometry: geometry) }
        let seed = try Tensor(desc: y.value.desc)
        seed.zero()
        weight.zeroGrad()
        return try seconds { try tape.backward(from: y, seed: seed) }
      }
    }
    let data = try backward(inputGrad: true, weight: frozen)
    let weights = try backward(inputGrad: false, weight: trained)
    return [("fwd", forward), ("bwd_data", data), ("bwd_weights", weights)].map {
      ConvBenchResult(pass: $0.0, ms: $0.1, gflops: flops / ($0.1.median / 1e3) / 1e9)
    }
  }
}
