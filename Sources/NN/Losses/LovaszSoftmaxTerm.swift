import Foundation

/// Lovász-softmax (Berman et al. 2018) as segmentation_models_pytorch's
/// `LovaszLoss("multiclass", per_image=False, ignore_index=255)`: over the batch's counted
/// pixels, for each class c present in the labels, the errors e_p = |[label_p = c] − p_pc|
/// sorted in decreasing order, dotted with the Lovász extension's gradient of the Jaccard loss
/// (Alg. 1: the increments of 1 − intersection/union along that order); the term is the mean over
/// present classes. No class weights. The loss is piecewise linear in p: d/dp_pc is the sorted
/// position's increment times sign(p_pc − [label_p = c]), over the number of present classes,
/// then through the softmax.
func lovaszSoftmaxTerm(_ b: LabelledLogits, gradient: GradientSink?) -> Double {
  let k = b.k
  var pixels = [Int]()
  pixels.reserveCapacity(b.countedPixels)
  for p in 0..<b.pixels where b.labels[p] >= 0 { pixels.append(p) }
  let counts = b.classCounts()
  let present = (0..<k).filter { counts[$0] > 0 }
  guard !present.isEmpty else { return 0 }
  let m = pixels.count
  // d term / d p for every counted pixel and class (absent classes stay 0).
  var dp = gradient == nil ? [] : [Float](repeating: 0, count: m * k)
  var errors = [Double](repeating: 0, count: m)
  var order = [UInt64](repeating: 0, count: m)
  var total = 0.0
  let share = 1 / Double(present.count)
  for c in present {
    for j in 0..<m {
      let p = pixels[j]
      let probability = exp(Double(b.z[b.base(p) + c * b.hw]) - b.logSumExp[p])
      errors[j] = abs((b.labels[p] == Int32(c) ? 1 : 0) - probability)
    }
    sortDecreasing(errors, into: &order)
    let foreground = Double(counts[c])
    var foregroundSoFar = 0.0
    var backgroundSoFar = 0.0
    var previousJaccard = 0.0
    for key in order {
      let j = Int(key & 0xFFFF_FFFF)
      let isForeground = b.labels[pixels[j]] == Int32(c)
      if isForeground { foregroundSoFar += 1 } else { backgroundSoFar += 1 }
      let jaccard = 1 - (foreground - foregroundSoFar) / (foreground + backgroundSoFar)
      let increment = jaccard - previousJaccard
      previousJaccard = jaccard
      total += share * errors[j] * increment
      if gradient != nil && errors[j] != 0 {
        // d|fg − p|/dp = sign(p − fg): +1 off the class, −1 on it; 0 where they are equal (as
        // autograd's abs), i.e. where the error is 0.
        dp[j * k + c] = Float(share * increment * (isForeground ? -1 : 1))
      }
    }
  }
  if let g = gradient {
    withScratch(2 * k) { scratch in
      let probabilities = scratch
      let dpPixel = scratch + k
      for (j, p) in pixels.enumerated() {
        b.softmax(p, into: probabilities)
        for c in 0..<k { dpPixel[c] = Double(dp[j * k + c]) }
        b.addSoftmaxBackward(pixel: p, probabilities: probabilities, dp: dpPixel, into: g)
      }
    }
  }
  return total
}

/// Indices of `errors` (all ≥ 0) by decreasing value, equal values in increasing index, each as
/// (key << 32 | index). The key is the complement of the error's fp32 bit pattern (for values
/// ≥ 0 the patterns order like the values), sorted by a stable radix sort (4 passes of 8 bits;
/// a comparison sort of 500k pixels per class took most of the loss's time), and runs whose fp32
/// values tie are then put in exact fp64 order.
func sortDecreasing(_ errors: [Double], into order: inout [UInt64]) {
  precondition(errors.count < 1 << 32)
  for j in errors.indices {
    order[j] = UInt64(~Float(errors[j]).bitPattern) << 32 | UInt64(j)
  }
  radixSortByHighWord(&order)
  var start = 0
  while start < order.count {
    var end = start + 1
    while end < order.count && order[end] >> 32 == order[start] >> 32 { end += 1 }
    if end - start > 1 {
      order[start..<end].sort {
        let (a, b) = (errors[Int($0 & 0xFFFF_FFFF)], errors[Int($1 & 0xFFFF_FFFF)])
        return a > b || (a == b && $0 < $1)
      }
    }
    start = end
  }
}

/// Stable LSD radix sort of `keys` by their upper 32 bits (keys equal there keep their order).
func radixSortByHighWord(_ keys: inout [UInt64]) {
  var other = [UInt64](repeating: 0, count: keys.count)
  var counts = [Int](repeating: 0, count: 256)
  for pass in 0..<4 {
    let shift = UInt64(32 + 8 * pass)
    for i in 0..<256 { counts[i] = 0 }
    for key in keys { counts[Int((key >> shift) & 0xFF)] += 1 }
    var sum = 0
    for i in 0..<256 { (counts[i], sum) = (sum, sum + counts[i]) }
    for key in keys {
      let digit = Int((key >> shift) & 0xFF)
      other[counts[digit]] = key
      counts[digit] += 1
    }
    swap(&keys, &other)
  }
}
