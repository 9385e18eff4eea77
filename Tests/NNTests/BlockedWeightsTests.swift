import NN
import SeededRandom
import Tensor
import XCTest

/// Large convolution weights kept in oneDNN's blocked layout (`BlockedWeights`, issue 13):
/// nothing reorders them per call any more, a training step holds one transient of their size
/// instead of three, and the numbers are the plain path's bit for bit, optimiser state and
/// plain values included. The threshold is lowered so that a small net exercises it.
final class BlockedWeightsTests: XCTestCase {
  /// conv a (16→32, 3×3, ReLU), "fc" (32→512, 7×7 valid, 3.2 MB: the paper's fc6 in small),
  /// score (512→5, 1×1: its output channels pad to a block, so it stays plain).
  struct Net {
    let a: Conv2D
    let fc: Conv2D
    let score: Conv2D
    var parameters: [Parameter] { a.parameters + fc.parameters + score.parameters }

    init(seed: UInt64) throws {
      var rng = Xoshiro256(seed: seed)
      a = try Conv2D("a", in: 16, out: 32, kernel: 3, padding: 1, fuseReLU: true, rng: &rng)
      fc = try Conv2D("fc", in: 32, out: 512, kernel: 7, fuseReLU: true, rng: &rng)
      score = try Conv2D("score", in: 512, out: 5, kernel: 1, rng: &rng)
    }

    func loss(_ x: Tensor, _ labels: Tensor) throws -> Variable {
      try softmaxCrossEntropy(score(fc(a(Variable(x)))), labels: labels)
    }
  }

  let x = { () -> Tensor in
    var rng = Xoshiro256(seed: 9)
    return try! Tensor(shape: [2, 16, 12, 12], values: (0..<(2 * 16 * 144)).map { _ in rng.nextUnitFloat() - 0.5 })
  }()
  let labels = try! Tensor(shape: [2, 6, 6], labels: (0..<72).map { Int32($0 % 5) })

  override func tearDown() {
    BlockedWeights.threshold = 16 << 20
  }

  /// One step with SGD applied during backward (`fcn train`'s default).
  func immediateStep(_ net: Net, _ sgd: SGD) throws {
    let update = ImmediateUpdate(net.parameters) { sgd.update($0, gradient: $1) }
    try update.during {
      let tape = Tape()
      let loss = try tape.record { try net.loss(x, labels) }
      try tape.backward(from: loss)
    }
  }

  func testLargeWeightIsNotReorderedPerCallAndHoldsOneTransient() throws {
    BlockedWeights.threshold = 1 << 20
    let net = try Net(seed: 1)
    let sgd = SGD(net.parameters, learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4)
    try immediateStep(net, sgd)
    XCTAssertTrue(net.fc.weight.isBlocked, "fc's 3.2 MB weight should live in \(net.fc.weight.value.desc)")
    XCTAssertFalse(net.a.weight.isBlocked, "below the threshold: stays plain")
    XCTAssertFalse(net.score.weight.isBlocked)

    BlockedWeights.blocked = .init()
    BufferPool.shared.trimForNewShapes()
    let before = BufferPool.shared.bytesInUse
    try immediateStep(net, sgd)
    let transient = BufferPool.shared.recentPeakBytesWithUnpooled - before
    XCTAssertEqual(BlockedWeights.blocked.forward, 0, "no blocked copy of fc's weight in forward")
    XCTAssertEqual(BlockedWeights.blocked.gradient, 0, "fc's gradient is written in its own layout")
    XCTAssertLessThanOrEqual(BlockedWeights.blocked.backwardData, 1, "backward-data's own layout, once a step")
    let weightBytes = net.fc.weight.value.buffer.byteCount
    XCTAssertGreaterThanOrEqual(Double(transient), 0.9 * Double(weightBytes), "the weight gradient itself")
    XCTAssertLessThan(
      Double(transient), 1.5 * Double(weightBytes),
      "a step's transients \(transient) B should hold one copy of fc's \(weightBytes) B weight, not three")

    // The same net with the weight kept plain needs the copies (what the test guards against).
    BlockedWeights.threshold = Int.max
    let plainNet = try Net(seed: 1)
    let plainSGD = SGD(plainNet.parameters, learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4)
    try immediateStep(plainNet, plainSGD)
    BlockedWeights.plain = .init()
    BufferPool.shared.trimForNewShapes()
    let plainBefore = BufferPool.shared.bytesInUse
    try immediateStep(plainNet, plainSGD)
    XCTAssertGreaterThanOrEqual(BlockedWeights.plain.forward, 3, "a plain weight is reordered in every forward")
    XCTAssertGreaterThanOrEqual(
      Double(BufferPool.shared.recentPeakBytesWithUnpooled - plainBefore), 1.9 * Double(weightBytes),
      "plain storage holds the blocked gradient and its plain copy together")
  }

  /// Trains three steps each way (during backward, ordinary with clipping, Adam): blocked and
  /// plain storage give the same weights and optimiser state bit for bit, and the state dict
  /// of the blocked run, loaded into fresh plain parameters, resumes to the same bits.
  func testBlockedStorageChangesNoBitAndResumesExactly() throws {
    func run(_ threshold: Int, _ mode: Int, steps: Int = 3, resumeFrom: ([[Float]], [String: [Float]])? = nil)
      throws -> (values: [[Float]], state: [String: [Float]], blocked: Int)
    {
      BlockedWeights.threshold = threshold
      let net = try Net(seed: 4)
      let optimizer: Optimizer =
        mode == 2
        ? Adam.adamW(net.parameters, learningRate: 1e-3)
        : SGD(net.parameters, learningRate: 0.02, momentum: 0.9, weightDecay: 1e-3)
      if let (values, state) = resumeFrom {
        for (p, v) in zip(net.parameters, values) {
          try reorder(from: Tensor(shape: p.shape, values: v), to: p.value)
        }
        try optimizer.loadStateDict(state)
      }
      for _ in 0..<steps {
        if mode == 0, let sgd = optimizer as? SGD {
          try immediateStep(net, sgd)
        } else {
          for p in net.parameters { p.zeroGrad() }
          let tape = Tape()
          let loss = try tape.record { try net.loss(x, labels) }
          try tape.backward(from: loss)
          if mode == 1 { clipGradNorm(net.parameters, maxNorm: 0.05) }
          try optimizer.step()
        }
      }
      return (
        try net.parameters.map { try $0.value.toArray() }, optimizer.stateDict(),
        net.parameters.filter(\.isBlocked).count
      )
    }
    for mode in 0..<3 {
      let plain = try run(Int.max, mode)
      let blocked = try run(0, mode)
      XCTAssertEqual(plain.blocked, 0)
      XCTAssertGreaterThanOrEqual(blocked.blocked, 1, "mode \(mode): some weight should be blocked")
      XCTAssertEqual(plain.values.count, blocked.values.count)
      for (i, (a, b)) in zip(plain.values, blocked.values).enumerated() {
        XCTAssertTrue(a.map(\.bitPattern) == b.map(\.bitPattern), "mode \(mode): parameter \(i) differs")
      }
      XCTAssertEqual(Set(plain.state.keys), Set(blocked.state.keys))
      for (k, v) in plain.state {
        XCTAssertTrue(v.map(\.bitPattern) == blocked.state[k]!.map(\.bitPattern), "mode \(mode): state \(k) differs")
      }
      // Resume: 2 steps, save (plain), 2 more in a fresh blocked run = 4 uninterrupted steps.
      let whole = try run(0, mode, steps: 4)
      let half = try run(0, mode, steps: 2)
      let resumed = try run(0, mode, steps: 2, resumeFrom: (half.values, half.state))
      for (i, (a, b)) in zip(whole.values, resumed.values).enumerated() {
        XCTAssertTrue(a.map(\.bitPattern) == b.map(\.bitPattern), "mode \(mode): resumed parameter \(i) differs")
      }
    }
  }
}
