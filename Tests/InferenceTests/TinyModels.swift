import FCN
import Foundation
import NN
import SeededRandom
import SegData
import Tensor

/// Small real FCNs for in-process tests: FCN-8s with the compact head at 1/16 width. A fresh
/// model's score layers are zero (the paper's initialisation), which would make every pixel's
/// probabilities equal and every comparison trivially pass; they get seeded random values here.
enum TinyModels {
  static func fcn8s(classes: Int = 5, seed: UInt64 = 1) throws -> FCNModel {
    let config = try ModelConfig(
      model: .fcn8s, classes: classes, head: .compact, width: 0.0625, fc: 16, frozenUpsampling: false, seed: seed)
    let model = try FCNModel(config, randomInit: true)
    var rng = Xoshiro256(seed: seed &+ 99)
    for p in model.parameters where p.name.hasPrefix("score") {
      let t = try p.value.plain()
      precondition(t === p.value, "parameters are plain")
      for i in 0..<t.count { t.floats[i] = rng.nextUnitFloat() * 2 - 1 }
    }
    model.setTraining(false)
    return model
  }

  /// A seeded image with smooth structure and noise, so windows and flips see different content.
  static func image(width: Int, height: Int, seed: UInt64 = 7) -> RGBImage {
    var rng = Xoshiro256(seed: seed)
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<3 {
          let smooth = 127.5 + 100 * sin(Double(x * (c + 1)) / 5 + Double(y) / Double(3 + c))
          pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, smooth + Double(rng.nextUnitFloat()) * 40 - 20)))
        }
      }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }
}
