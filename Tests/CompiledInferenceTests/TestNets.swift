import FCN
import Foundation
import NN
import SeededRandom
import Tensor

/// A small course net (or other config) whose BatchNorm layers have non-trivial running
/// statistics and affine parameters, so folding them is actually tested (fresh BatchNorms are
/// the identity: γ 1, β 0, μ 0, σ² 1).
func smallModel(
  _ name: ModelName = .courseFCN8, classes: Int, backbone: Backbone? = nil, seed: UInt64 = 3
) throws -> FCNModel {
  let config = try ModelConfig(model: name, classes: classes, backbone: backbone, width: 0.0625, fc: 32, seed: seed)
  let model = try FCNModel(config)
  var rng = Xoshiro256(seed: seed &+ 100)
  for bn in model.batchNormLayers {
    let c = bn.weight.shape[0]
    func fill(_ t: Tensor, _ f: () -> Float) { for i in 0..<c { t.floats[i] = f() } }
    fill(bn.weight.value) { 0.5 + rng.nextUnitFloat() }
    fill(bn.bias.value) { rng.nextUnitFloat() - 0.5 }
    fill(bn.stats.mean) { (rng.nextUnitFloat() - 0.5) * 0.4 }
    fill(bn.stats.variance) { 0.2 + rng.nextUnitFloat() }
  }
  // Score layers and deconvolutions start at zero or bilinear: random values make every class
  // logit depend on the backbone, so the comparisons cover all of it.
  for p in model.parameters where p.name.hasPrefix("score") || p.name.hasPrefix("pool") || p.name.hasPrefix("up") {
    for i in 0..<p.value.count { p.value.floats[i] = (rng.nextUnitFloat() - 0.5) * 0.3 }
  }
  model.setTraining(false)
  return model
}

/// Images with the spread of normalised photos (about ±2), deterministic.
func testImages(_ shape: [Int], seed: UInt64) throws -> Tensor {
  var rng = Xoshiro256(seed: seed)
  return try Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.normalFloat() })
}

/// max |a − b| / max |b|.
func relativeError(_ a: [Float], _ b: [Float]) -> Double {
  let scale = max(b.map { abs(Double($0)) }.max() ?? 0, 1e-12)
  return zip(a, b).map { abs(Double($0) - Double($1)) }.max()! / scale
}

/// ‖a − b‖₂ / ‖b‖₂.
func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
  let num = zip(a, b).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
  let den = b.reduce(0.0) { $0 + Double($1) * Double($1) }
  return (num / max(den, 1e-30)).squareRoot()
}

/// Per-pixel argmax of plain logits [N, K, H, W].
func argmax(_ logits: [Float], shape: [Int]) -> [Int] {
  let (n, k, hw) = (shape[0], shape[1], shape[2] * shape[3])
  var out = [Int](repeating: 0, count: n * hw)
  for b in 0..<n {
    for i in 0..<hw {
      var best = logits[b * k * hw + i]
      for c in 1..<k where logits[(b * k + c) * hw + i] > best {
        best = logits[(b * k + c) * hw + i]
        out[b * hw + i] = c
      }
    }
  }
  return out
}
