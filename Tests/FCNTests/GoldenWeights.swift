import FCN
import Foundation
import WeightIO

/// The weights of tools/make_model_golden_matrix.py, made from each state_dict entry's name and
/// shape so the fixtures need not store 49 models: a splitmix64 stream seeded by the FNV-1a hash
/// of "<model>/<classes>/<name>" gives u in [-1, 1) (24 bits, exact in fp32), scaled by kind.
/// Every value is computed in Double and rounded once to Float, as numpy does, so both sides
/// hold identical fp32 weights.
enum GoldenWeights {
  static func fnv1a64(_ text: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return h
  }

  static func uniform(_ key: String, count: Int) -> [Double] {
    let seed = fnv1a64(key)
    return (0..<count).map { i in
      var z = seed &+ UInt64(i + 1) &* 0x9e37_79b9_7f4a_7c15
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      z ^= z >> 31
      return Double(z >> 40) / 8_388_608 - 1
    }
  }

  /// The script's golden_weight: running statistics, biases (never zero: the deconvolution bias
  /// is what broke in issue 11), BatchNorm scales, and He-uniform convolution weights whose
  /// fan-in counts the taps an output really sees (a k = 2s, stride s deconvolution: 2 × 2).
  static func values(tag: String, name: String, shape: [Int]) -> [Float] {
    let u = uniform("\(tag)/\(name)", count: shape.reduce(1, *))
    let v: [Double]
    if name.hasSuffix("running_mean") {
      v = u.map { 0.2 * $0 }
    } else if name.hasSuffix("running_var") {
      v = u.map { 1.25 + 0.75 * $0 }
    } else if name.hasSuffix("bias") {
      v = u.map { 0.1 * $0 }
    } else if shape.count == 1 {
      v = u.map { 1 + 0.5 * $0 }
    } else {
      let fanIn = shape[2] % 2 == 0 ? 4 * shape[0] : shape[1] * shape[2] * shape[3]
      let scale = (6 / Double(fanIn)).squareRoot()
      v = u.map { $0 * scale }
    }
    return v.map { Float($0) }
  }

  /// Loads every parameter and buffer of `model` from the generator (strict: names and shapes
  /// must be the PyTorch net's for the values to agree).
  static func load(_ model: FCNModel, tag: String) throws {
    var dict: [String: HostArray] = [:]
    for (name, t) in model.stateDict() {
      dict[name] = HostArray(shape: t.shape, floats: values(tag: tag, name: name, shape: t.shape))
    }
    try model.loadStateDict(dict, strict: true)
  }
}
