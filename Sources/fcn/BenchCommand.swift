import ArgumentParser
import Foundation
import NN
import Tensor

/// `fcn bench --op conv`: the machine's limit for FCN's dominant op, a 3×3 convolution
/// (N=2, 256→256, 64×64), forward, backward-data and backward-weights, timed one pass at a time.
/// Prints the same JSON lines as tools/bench_pytorch.py so the two can be compared.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Measure the engine's speed (median and spread of repeated runs).")

  @Option(help: "What to measure: conv.") var op: String = "conv"
  @Option(help: "Timed repeats.") var repeats: Int = 10
  @Option(help: "Untimed warm-up runs.") var warmup: Int = 3
  @Option(help: "fp32 or bf16.") var precision: String = "fp32"
  @Flag(help: "Print JSON lines only.") var json = false

  func validate() throws {
    guard op == "conv" else { throw ValidationError("--op: unknown benchmark '\(op)' (available: conv)") }
    guard repeats >= 1, warmup >= 0 else { throw ValidationError("--repeats must be ≥ 1 and --warmup ≥ 0") }
    guard ["fp32", "bf16"].contains(precision) else { throw ValidationError("--precision must be fp32 or bf16") }
  }

  func run() throws {
    if precision == "bf16" {
      do { try DType.bf16.checkSupported() } catch {
        FileHandle.standardError.write("fcn bench: \(error)\n".data(using: .utf8)!)
        throw ExitCode(1)
      }
      FileHandle.standardError.write("fcn bench: bf16 convolution benchmark is not implemented yet\n".data(using: .utf8)!)
      throw ExitCode(1)
    }
    let machine = MachineInfo.current
    if !json {
      print("machine: \(machine.cpu), \(machine.cores) cores, oneDNN \(machine.onednn), ISA \(machine.isa)")
    }
    for result in try ConvBenchmark(warmup: warmup, repeats: repeats).run() {
      if json {
        print(result.jsonLine)
      } else {
        print(
          String(
            format: "conv3x3 %-11@ median %7.2f ms  (min %.2f, max %.2f)  %6.1f GFLOP/s", result.pass, result.ms.median,
            result.ms.min, result.ms.max, result.gflops))
      }
    }
  }
}

struct ConvBenchResult {
  var pass: String
  var ms: Spread
  var gflops: Double

  var jsonLine: String {
    String(
      format: #"{"framework": "swift-fcn", "op": "conv3x3", "pass": "%@", "dtype": "f32", "ms_median": %.3f, "ms_min": %.3f, "ms_max": %.3f, "gflops": %.1f}"#,
      pass, ms.median, ms.min, ms.max, gflops)
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
