/// Symmetric per-output-channel int8 quantisation of convolution weights [O, …]:
/// scale[o] = max |w[o, …]| / 127, q = round(w / scale[o]) in −127…127 (−128 is never used,
/// so negating a weight never overflows). A channel of zeros gets scale 1 and stays zero.
public struct QuantizedWeights: Equatable, Sendable {
  public var shape: [Int]
  public var values: [Int8]
  public var scales: [Float]

  public init(quantizing weights: [Float], shape: [Int]) {
    precondition(shape.reduce(1, *) == weights.count, "QuantizedWeights: \(weights.count) values for shape \(shape)")
    self.shape = shape
    let o = shape.first ?? 1
    let per = o == 0 ? 0 : weights.count / o
    var scales = [Float](repeating: 1, count: o)
    var values = [Int8](repeating: 0, count: weights.count)
    for c in 0..<o {
      let row = weights[(c * per)..<((c + 1) * per)]
      let maxAbs = row.reduce(Float(0)) { max($0, abs($1)) }
      let scale = maxAbs > 0 ? maxAbs / 127 : 1
      scales[c] = scale
      for i in row.indices { values[i] = quantize(weights[i], scale: scale, levels: 127, signed: true).int8 }
    }
    self.values = values
    self.scales = scales
  }

  public init(shape: [Int], values: [Int8], scales: [Float]) {
    self.shape = shape
    self.values = values
    self.scales = scales
  }

  /// scale[o] · q: the weights the int8 convolution actually multiplies by.
  public func dequantized() -> [Float] {
    let per = values.count / max(scales.count, 1)
    return values.indices.map { Float(values[$0]) * scales[$0 / max(per, 1)] }
  }
}

/// round-half-to-even(x / scale) clamped to the type's range (0…levels unsigned, −levels…levels
/// signed): what oneDNN's quantising reorder does, written out for the weights and the tests.
public func quantize(_ x: Float, scale: Float, levels: Int, signed: Bool) -> (value: Int, int8: Int8) {
  let r = (x / scale).rounded(.toNearestOrEven)
  let lo = Float(signed ? -levels : 0)
  let v = Int(min(max(r, lo), Float(levels)))
  return (v, Int8(truncatingIfNeeded: v))
}
