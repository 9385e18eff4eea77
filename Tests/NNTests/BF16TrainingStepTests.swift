import CDNNL
import NN
import SeededRandom
import Tensor
import XCTest

/// bf16 mixed-precision training steps of a small net (conv+ReLU, BatchNorm, pooling, a skip
/// sum, a transposed convolution, logits cast to fp32 for the loss): the parameter gradients
/// are fp32 and close to fp32 training's, and SGD on synthetic data lowers the loss as fp32 does.
/// Run where oneDNN runs bf16 (native, or emulated on AVX-512); skipped elsewhere.
final class BF16TrainingStepTests: XCTestCase {
  override func setUpWithError() throws {
    guard BF16Support.current != .unavailable else {
      throw XCTSkip(
        "oneDNN runs no bf16 on this CPU (ISA \(Engine.isa)): bf16 training tests need AVX-512 or bf16 hardware")
    }
  }

  final class Net {
    let c1: Conv2D
    let bn: BatchNorm2D
    let c2: Conv2D
    let skip: Conv2D
    let score: Conv2D
    let up: ConvTranspose2D

    init(seed: UInt64) throws {
      var rng = Xoshiro256(seed: seed)
      c1 = try Conv2D("c1", in: 3, out: 16, kernel: 3, padding: 1, fuseReLU: true, rng: &rng)
      bn = try BatchNorm2D("bn", channels: 16)
      c2 = try Conv2D("c2", in: 16, out: 32, kernel: 3, padding: 1, fuseReLU: true, rng: &rng)
      skip = try Conv2D("skip", in: 16, out: 5, kernel: 1, rng: &rng)
      score = try Conv2D("score", in: 32, out: 5, kernel: 1, rng: &rng)
      up = try ConvTranspose2D("up", in: 5, out: 5, kernel: 4, stride: 2, padding: 1, rng: &rng)
    }

    var parameters: [Parameter] {
      let layers: [Module] = [c1, bn, c2, skip, score, up]
      return layers.flatMap(\.parameters)
    }

    /// fp32 logits [N, 5, H, W] for images [N, 3, H, W] (H, W even).
    func callAsFunction(_ x: Variable, precision: DType) throws -> Variable {
      try MixedPrecision.computing(in: precision) {
        let h = try relu(bn(c1(x)), inPlace: true)
        let p = try maxPool2d(h, kernel: 2)
        let s = try add(score(c2(p)), skip(p))
        return try cast(up(s), to: .f32)
      }
    }
  }

  func data(seed: UInt64, n: Int = 2, h: Int = 12, w: Int = 14) throws -> (Tensor, Tensor) {
    var rng = Xoshiro256(seed: seed)
    // Labels that the image explains: class = which of 5 bands of the red channel.
    var image = [Float](repeating: 0, count: n * 3 * h * w)
    var labels = [Int32](repeating: 0, count: n * h * w)
    for b in 0..<n {
      for i in 0..<(h * w) {
        let red = rng.nextUnitFloat()
        image[(b * 3) * h * w + i] = red * 2 - 1
        image[(b * 3 + 1) * h * w + i] = rng.nextUnitFloat() - 0.5
        image[(b * 3 + 2) * h * w + i] = rng.nextUnitFloat() - 0.5
        labels[b * h * w + i] = Int32(min(4, Int(red * 5)))
      }
    }
    return (try Tensor(shape: [n, 3, h, w], values: image), try Tensor(shape: [n, h, w], labels: labels))
  }

  func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
    let d = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    let n = b.reduce(0.0) { $0 + Double($1) * Double($1) }
    return (d / max(n, 1e-30)).squareRoot()
  }

  /// One step's gradients: every parameter's is fp32 and within 3 % (relative L2) of fp32
  /// training's from the same weights and batch (bf16 rounds activations and their gradients
  /// to 8 significant bits at every layer; 3 % is about 8× one rounding).
  func testGradientsCloseToFP32() throws {
    let (image, labels) = try data(seed: 3)
    var grads: [DType: [[Float]]] = [:]
    var losses: [DType: Float] = [:]
    for precision in [DType.f32, .bf16] {
      let net = try Net(seed: 11)
      let tape = Tape()
      let loss = try tape.record {
        try softmaxCrossEntropy(net(Variable(image), precision: precision), labels: labels)
      }
      try tape.backward(from: loss)
      losses[precision] = loss.value.floats[0]
      grads[precision] = try net.parameters.map { p in
        let g = try XCTUnwrap(p.grad, p.name)
        XCTAssertEqual(g.dtype, .f32, "\(p.name): the gradient of an fp32 master is fp32")
        return try g.toArray()
      }
    }
    XCTAssertEqual(Double(losses[.bf16]!), Double(losses[.f32]!), accuracy: 0.01 * Double(losses[.f32]!))
    let names = try Net(seed: 11).parameters.map(\.name)
    for (k, name) in names.enumerated() {
      let e = relativeL2(grads[.bf16]![k], grads[.f32]![k])
      XCTAssertLessThan(e, 0.03, "\(name): relative L2 error \(e)")
    }
  }

  /// 30 SGD steps on a learnable synthetic task: the bf16 loss falls as fp32's does (to below
  /// 85 % of its start; fp32 reaches about 74 %) and ends within 5 % of fp32's.
  func testLossGoesDownLikeFP32() throws {
    var finals: [DType: Float] = [:]
    for precision in [DType.f32, .bf16] {
      let net = try Net(seed: 5)
      let opt = SGD(net.parameters, learningRate: 0.05, momentum: 0.9)
      var losses: [Float] = []
      for step in 0..<30 {
        let (image, labels) = try data(seed: 100 + UInt64(step % 4))
        for p in net.parameters { p.zeroGrad() }
        let tape = Tape()
        let loss = try tape.record {
          try softmaxCrossEntropy(net(Variable(image), precision: precision), labels: labels)
        }
        try tape.backward(from: loss)
        try opt.step()
        losses.append(loss.value.floats[0])
      }
      let start = losses[0..<4].reduce(0, +) / 4
      let end = losses[26..<30].reduce(0, +) / 4
      XCTAssertLessThan(end, 0.85 * start, "\(precision): losses \(losses)")
      finals[precision] = end
      for p in net.parameters { XCTAssertEqual(p.value.dtype, .f32, "\(p.name): master weights stay fp32") }
    }
    XCTAssertEqual(Double(finals[.bf16]!), Double(finals[.f32]!), accuracy: 0.05 * Double(finals[.f32]!))
  }

  /// SGD during backward (`ImmediateUpdate`, fcn train's default) and activation checkpointing
  /// (`recomputedInBackward`) in bf16: the same weights as the ordinary bf16 path.
  func testImmediateUpdateAndRecomputeMatchTheOrdinaryBF16Path() throws {
    let (image, labels) = try data(seed: 9)
    func step(immediate: Bool, recompute: Bool) throws -> [[Float]] {
      let net = try Net(seed: 21)
      let sgd = SGD(net.parameters, learningRate: 0.05, momentum: 0.9)
      for p in net.parameters { p.zeroGrad() }
      let forward = { (x: Variable) throws -> Variable in
        try MixedPrecision.computing(in: .bf16) {
          let block = { (x: Variable) throws -> Variable in
            try maxPool2d(net.c1(x), kernel: 2)
          }
          let p = try recompute ? recomputedInBackward(x, block) : block(x)
          return try cast(net.up(net.score(net.c2(p))), to: .f32)
        }
      }
      let run = {
        let tape = Tape()
        let loss = try tape.record { try softmaxCrossEntropy(forward(Variable(image)), labels: labels) }
        try tape.backward(from: loss)
      }
      let used = [net.c1, net.c2, net.score].flatMap(\.parameters) + net.up.parameters
      if immediate {
        try ImmediateUpdate(used) { sgd.update($0, gradient: $1) }.during(run)
      } else {
        try run()
        try sgd.step()
      }
      return try used.map { try $0.value.toArray() }
    }
    let ordinary = try step(immediate: false, recompute: false)
    XCTAssertEqual(try step(immediate: true, recompute: false), ordinary, "SGD during backward")
    XCTAssertEqual(try step(immediate: false, recompute: true), ordinary, "recomputed block")
    XCTAssertEqual(try step(immediate: true, recompute: true), ordinary, "both")
  }
}
