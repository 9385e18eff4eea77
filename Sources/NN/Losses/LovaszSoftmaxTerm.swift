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
  let pixels = (0..<b.pixels).filter { b.label($0) != nil }
  let counts = b.classCounts()
  let present = (0..<k).filter { counts[$0] > 0 }
  guard !present.isEmpty else { return 0 }
  let m = pixels.count
  // d term / d p for every counted pixel and class (absent classes stay 0).
  var dp = gradient == nil ? [] : [Float](repeating: 0, count: m * k)
  var errors = [Double](repeating: 0, count: m)
  var order = [Int](repeating: 0, count: m)
  var total = 0.0
  let share = 1 / Double(present.count)
  for c in present {
    for (j, p) in pixels.enumerated() {
      errors[j] = abs((b.label(p) == c ? 1 : 0) - b.probability(p, c))
    }
    for j in 0..<m { order[j] = j }
    // Decreasing errors; equal errors keep pixel order (the loss's value does not depend on it).
    order.sort { errors[$0] > errors[$1] || (errors[$0] == errors[$1] && $0 < $1) }
    let foreground = Double(counts[c])
    var foregroundSoFar = 0.0
    var backgroundSoFar = 0.0
    var previousJaccard = 0.0
    for j in order {
      if b.label(pixels[j]) == c { foregroundSoFar += 1 } else { backgroundSoFar += 1 }
      let jaccard = 1 - (foreground - foregroundSoFar) / (foreground + backgroundSoFar)
      let increment = jaccard - previousJaccard
      previousJaccard = jaccard
      total += share * errors[j] * increment
      if gradient != nil {
        // d|fg − p|/dp = sign(p − fg), 0 where they are equal (as autograd's abs).
        let difference = b.probability(pixels[j], c) - (b.label(pixels[j]) == c ? 1 : 0)
        let sign: Double = difference > 0 ? 1 : difference < 0 ? -1 : 0
        dp[j * k + c] = Float(share * increment * sign)
      }
    }
  }
  if let g = gradient {
    var probabilities = [Double](repeating: 0, count: k)
    var dpPixel = [Double](repeating: 0, count: k)
    for (j, p) in pixels.enumerated() {
      for c in 0..<k {
        probabilities[c] = b.probability(p, c)
        dpPixel[c] = Double(dp[j * k + c])
      }
      b.addSoftmaxBackward(pixel: p, probabilities: probabilities, dp: dpPixel, into: g)
    }
  }
  return total
}
