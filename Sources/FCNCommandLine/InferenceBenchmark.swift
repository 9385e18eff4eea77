import CompiledInference
import FCN
import Foundation
import NN
import SeededRandom
import Tensor
import Training

/// How `fcn bench --mode infer` runs the model: the training graph in eval mode (what inference
/// was before issue 17), the folded fp32 inference network (what `fcn eval|predict` run), that
/// network quantised to int8, or computing in bf16 (`--precision bf16`).
enum InferenceEngine: String, CaseIterable, Sendable {
  case graph, folded, int8, bf16

  var dtype: String {
    switch self {
    case .int8: return "int8"
    case .bf16: return "bf16"
    case .graph, .folded: return "f32"
    }
  }
}

/// Times one model's inference on several engines side by side: every timed round runs each
/// engine once, in turn, so load from other processes falls on all of them alike.
struct InferenceBenchmark {
  var config: ModelConfig
  var height: Int
  var width: Int
  var batch: Int
  var warmup: Int
  var steps: Int
  var engines: [InferenceEngine]
  /// Synthetic calibration images for int8 (random normal pixels, the spread of normalised photos).
  var calibrationImages = 4
  var quantization = QuantizationOptions.recommended

  struct Result {
    var engine: InferenceEngine
    var stepSeconds: Spread
  }

  func run() throws -> (results: [Result], flopsPerStep: Double, quantized: [String]) {
    let forward = Double(try modelInfo(config: config, height: height, width: width, batch: batch).forwardFLOPs)
    let model = try FCNModel(config)
    model.setTraining(false)
    var rng = Xoshiro256(seed: 1)
    func image(_ n: Int) throws -> Tensor {
      try Tensor(shape: [n, 3, height, width], values: (0..<(n * 3 * height * width)).map { _ in rng.normalFloat() })
    }
    let x = try image(batch)
    var quantized: [String] = []
    var runs: [(InferenceEngine, () throws -> Void)] = []
    for engine in engines {
      switch engine {
      case .graph:
        runs.append((engine, { _ = try model(Variable(x)) }))
      case .folded:
        let network = try InferenceNetwork(folding: model)
        runs.append((engine, { _ = try network(Variable(x)) }))
      case .int8:
        let network = try InferenceNetwork(folding: model)
        var calibration = Calibration()
        for _ in 0..<calibrationImages { try calibration.observe(network, image: image(1)) }
        quantized = try network.quantize(calibration, options: quantization)
        runs.append((engine, { _ = try network(Variable(x)) }))
      case .bf16:
        let network = try InferenceNetwork(folding: model)
        try network.useBF16()
        runs.append((engine, { _ = try network(Variable(x)) }))
      }
    }
    var times = [[Double]](repeating: [], count: runs.count)
    try keepingInferenceCopies(of: model.parameters) {
      for _ in 0..<warmup { for r in runs { try r.1() } }
      for _ in 0..<steps {
        for (i, r) in runs.enumerated() { times[i].append(try seconds(r.1)) }
      }
    }
    let results = zip(runs, times).map { Result(engine: $0.0.0, stepSeconds: Spread($0.1)) }
    return (results, forward, quantized)
  }
}

/// `fcn bench --precision`: fp32 and bf16 as before, int8 for inference (quantised on synthetic
/// calibration images and timed beside fp32).
enum BenchPrecision: String, CaseIterable, Sendable {
  case fp32, bf16, int8
}

extension BenchCommand {
  /// `--mode infer`: the engines `--precision` and `--unfolded` choose, timed side by side, one
  /// line (or JSON record) each, then int8's speed-up over the folded fp32 network.
  func runInference(config: ModelConfig, height: Int, width: Int) throws {
    var engines: [InferenceEngine] =
      precision == .int8 ? [.graph, .folded, .int8] : unfolded ? [.graph, .folded] : [.folded]
    if precision == .bf16 { engines.append(.bf16) }
    var bench = InferenceBenchmark(
      config: config, height: height, width: width, batch: batch, warmup: warmup, steps: steps, engines: engines)
    let kept = try keptFP32Layers(keepFp32)
    bench.quantization.keepFirst = kept.first
    bench.quantization.keepScore = kept.score
    let (results, flops, quantized) = try bench.run()
    let limit = convolutionLimit(try ConvBenchmark(warmup: 2, repeats: 10).run(), mode: .infer)
    if !json && precision == .int8 {
      print(
        "int8 layers: \(quantized.joined(separator: ", ")) (\(bench.quantization.method.rawValue) scales from \(bench.calibrationImages) synthetic images)"
      )
    }
    for r in results {
      let gops = flops / r.stepSeconds.median / 1e9
      let imagesPerSecond = Double(batch) / r.stepSeconds.median
      if json {
        var record = ModelBenchRecord(
          model: config.model.rawValue, mode: mode.rawValue, batch: batch, size: size, classes: config.classes,
          imagesPerSecond: imagesPerSecond, stepSecondsMedian: r.stepSeconds.median, stepSecondsMin: r.stepSeconds.min,
          stepSecondsMax: r.stepSeconds.max, gflops: gops, limitGFLOPS: limit, percentOfLimit: 100 * gops / limit,
          peakRSSBytes: peakRSSBytes(), poolBytes: BufferPool.shared.bytesAllocated,
          poolPeakInUseBytes: BufferPool.shared.peakBytesInUse)
        record.dtype = r.engine.dtype
        record.engine = r.engine.rawValue
        print(try jsonLine(record))
      } else {
        print(
          String(
            format: "%@ infer %@ (%@) %dx%d batch %d: step median %.3f s (min %.3f, max %.3f), %.2f img/s",
            config.model.rawValue, r.engine.dtype, r.engine.rawValue, height, width, batch, r.stepSeconds.median,
            r.stepSeconds.min, r.stepSeconds.max, imagesPerSecond))
        print(
          String(
            format: "  %.1f G%@/s = %.0f%% of this machine's fp32 3×3 conv limit (%.1f GFLOP/s)", gops,
            r.engine == .int8 ? "OP" : "FLOP", 100 * gops / limit, limit))
      }
    }
    if !json, let folded = results.first(where: { $0.engine == .folded }) {
      for r in results where r.engine != .folded {
        print(
          String(
            format: "%@ vs folded fp32: %.2f× images/s", r.engine.rawValue,
            folded.stepSeconds.median / r.stepSeconds.median))
      }
    }
  }
}
