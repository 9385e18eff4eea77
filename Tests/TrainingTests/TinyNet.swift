import FCN
import Foundation
import NN
import SeededRandom
import Tensor
import Training
import WeightIO

/// A small FCN-shaped net (conv → pool → conv → 1×1 score → bilinear 2× deconv) that trains in
/// seconds, for tests of the training loop itself.
final class TinyNet: TrainableModel {
  let classes: Int
  let c1: Conv2D, c2: Conv2D, score: Conv2D
  let bn: BatchNorm2D
  let drop: Dropout2D
  let up: ConvTranspose2D

  init(classes: Int, seed: UInt64 = 1) throws {
    self.classes = classes
    var rng = Xoshiro256(seed: seed)
    c1 = try Conv2D("c1", in: 3, out: 16, kernel: 3, padding: 1, initializer: .he, rng: &rng)
    bn = try BatchNorm2D("bn", channels: 16)
    c2 = try Conv2D("c2", in: 16, out: 32, kernel: 3, padding: 1, fuseReLU: true, initializer: .he, rng: &rng)
    drop = Dropout2D(p: 0.1, seed: seed)
    score = try Conv2D("score", in: 32, out: classes, kernel: 1, initializer: .pytorchDefault, rng: &rng)
    up = try ConvTranspose2D("up", in: classes, out: classes, kernel: 4, stride: 2, padding: 1, rng: &rng)
  }

  var modules: [Module] { [c1, bn, c2, drop, score, up] }
  var parameters: [Parameter] { modules.flatMap(\.parameters) }
  var batchNormLayers: [BatchNorm2D] { [bn] }

  func stateDict() -> [String: Tensor] {
    var d = [String: Tensor]()
    for p in parameters { d[p.name] = p.value }
    for m in modules { for b in m.buffers { d[b.name] = b.tensor } }
    return d
  }

  func restore(_ state: [String: HostArray]) throws { try loadStateDict(state, into: stateDict(), strict: true) }
  func setTraining(_ training: Bool) { for m in modules { m.setTraining(training) } }

  func callAsFunction(_ x: Variable) throws -> Variable {
    let h = try maxPool2d(relu(bn(c1(x)), inPlace: true), kernel: 2)
    return try up(score(drop(c2(h))))
  }

  var randomStates: [[UInt64]] {
    get { [drop.rng.state] }
    set { if let s = newValue.first { drop.rng.state = s } }
  }

  func trainingBytes(batch: Int, height: Int, width: Int) -> Int64 {
    // Activations kept for backward, ×2 for their gradients, plus weights and gradients.
    let perPixel = Int64(3 + 16 * 3 + 32 * 2 / 4 + classes * 2)
    return Int64(batch * height * width) * perPixel * 4 * 2 + Int64(parameterCount) * 8
  }
}
