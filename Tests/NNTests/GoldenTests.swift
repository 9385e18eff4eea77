import Foundation
import NN
import Tensor
import WeightIO
import XCTest

/// Parity with PyTorch: fixtures written by tools/make_golden.py (torch, float64, stored as
/// float32). Tolerance: max abs error ≤ 1e-4 relative to the output's scale.
final class GoldenTests: XCTestCase {
  static let fixtures: [String: HostArray] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/golden_ops.safetensors")
    return (try? SafeTensors.read(contentsOf: url).tensors) ?? [:]
  }()

  /// Max error of each comparison, by "case.name", printed at the end for the issue note.
  static var report: [String: Double] = [:]

  override class func tearDown() {
    for (k, v) in report.sorted(by: { $0.key < $1.key }) { print(String(format: "golden %@ max rel err %.2e", k, v)) }
  }

  func array(_ key: String) throws -> HostArray {
    guard let a = Self.fixtures[key] else {
      XCTFail("missing fixture \(key): run tools/make_golden.py")
      throw TensorError.unsupported("missing fixture \(key)")
    }
    return a
  }

  func values(_ key: String) throws -> [Float] { try array(key).floats() }
  func ints(_ key: String) throws -> [Int] { try values(key).map { Int($0) } }
  func tensor(_ key: String) throws -> Tensor {
    let a = try array(key)
    return try Tensor(shape: a.shape, values: a.floats())
  }
  func variable(_ key: String) throws -> Variable { Variable(try tensor(key), requiresGrad: true) }
  func parameter(_ key: String) throws -> Parameter { try Parameter(key, tensor(key)) }

  func expect(_ got: Tensor?, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard let got else { return XCTFail("\(key): no value", file: file, line: line) }
    let ref = try array(key)
    XCTAssertEqual(got.shape, ref.shape, "\(key) shape", file: file, line: line)
    let a = try got.toArray()
    let b = try ref.floats()
    guard a.count == b.count else { return }
    let scale = max(1, b.map { abs(Double($0)) }.max() ?? 0)
    let err = zip(a, b).map { abs(Double($0) - Double($1)) }.max()! / scale
    Self.report[key] = err
    XCTAssertLessThanOrEqual(err, 1e-4, "\(key): max relative error \(err)", file: file, line: line)
  }

  func seeded(_ key: String, _ forward: () throws -> Variable) throws -> Variable {
    let tape = Tape()
    let y = try tape.record(forward)
    try tape.backward(from: y, seed: tensor(key))
    return y
  }

  func testConvolutions() throws {
    for name in ["conv3x3", "conv_grouped_dilated", "conv7x7_fc6"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let w = try parameter("\(name).w")
      let b = try parameter("\(name).b")
      let y = try seeded("\(name).r") {
        try conv2d(
          x, weight: w, bias: b, geometry: ConvGeometry(stride: c[0], padding: c[1], dilation: c[2]), groups: c[3])
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
      try expect(w.grad, "\(name).dw")
      try expect(b.grad, "\(name).db")
    }
  }

  func testTransposedConvolutions() throws {
    for name in ["deconv_k4s2", "deconv_k16s8", "deconv_opad"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let w = try parameter("\(name).w")
      let b = Self.fixtures["\(name).b"] != nil ? try parameter("\(name).b") : nil
      let y = try seeded("\(name).r") {
        try convTranspose2d(x, weight: w, bias: b, stride: c[0], padding: c[1], outputPadding: c[2])
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
      try expect(w.grad, "\(name).dw")
      if let b { try expect(b.grad, "\(name).db") }
    }
  }

  func testReLUScaleAddCrop() throws {
    let x = try variable("relu.x")
    try expect(try seeded("relu.r") { try relu(x) }.value, "relu.y")
    try expect(x.grad, "relu.dx")

    let a = try variable("scale_add.a")
    let b = try variable("scale_add.b")
    try expect(try seeded("scale_add.r") { try add(scale(a, by: 0.01), b) }.value, "scale_add.y")
    try expect(a.grad, "scale_add.da")
    try expect(b.grad, "scale_add.db")

    let c = try ints("crop.config")
    let xc = try variable("crop.x")
    try expect(try seeded("crop.r") { try crop(xc, top: c[0], left: c[1], height: c[2], width: c[3]) }.value, "crop.y")
    try expect(xc.grad, "crop.dx")
  }

  func testMaxPooling() throws {
    for name in ["maxpool_ceil", "maxpool_floor", "maxpool_k3p1"] {
      let c = try ints("\(name).config")
      let x = try variable("\(name).x")
      let y = try seeded("\(name).r") {
        try maxPool2d(x, kernel: c[0], stride: c[1], padding: c[2], ceilMode: c[3] == 1)
      }
      try expect(y.value, "\(name).y")
      try expect(x.grad, "\(name).dx")
    }
  }

  func testBatchNormTrainingAndRunningStatistics() throws {
    let x = try variable("batchnorm.x")
    let g = try parameter("batchnorm.gamma")
    let b = try parameter("batchnorm.beta")
    let stats = try RunningStats(channels: 4)
    try reorder(from: tensor("batchnorm.running_mean0"), to: stats.mean)
    try reorder(from: tensor("batchnorm.running_var0"), to: stats.variance)
    let y = try seeded("batchnorm.r") {
      try batchNorm2d(x, gamma: g, beta: b, stats: stats, training: true, momentum: 0.1)
    }
    try expect(y.value, "batchnorm.y")
    try expect(x.grad, "batchnorm.dx")
    try expect(g.grad, "batchnorm.dgamma")
    try expect(b.grad, "batchnorm.dbeta")
    try expect(stats.mean, "batchnorm.running_mean1")
    try expect(stats.variance, "batchnorm.running_var1")
    let e = try batchNorm2d(Variable(tensor("batchnorm.x")), gamma: g, beta: b, stats: stats, training: false)
    try expect(e.value, "batchnorm.y_eval")
  }

  func testCrossEntropy() throws {
    let labels = try Tensor(shape: array("xent.labels").shape, labels: values("xent.labels").map { Int32($0) })
    let weights = try values("xent.weights")
    for (suffix, reduction, w) in [("mean", Reduction.mean, nil), ("sum", .sum, nil), ("wmean", .mean, weights)]
      as [(String, Reduction, [Float]?)]
    {
      let z = try variable("xent.logits")
      let tape = Tape()
      let loss = try tape.record { try softmaxCrossEntropy(z, labels: labels, classWeights: w, reduction: reduction) }
      try tape.backward(from: loss)
      try expect(loss.value, "xent.loss_\(suffix)")
      try expect(z.grad, "xent.dlogits_\(suffix)")
    }
  }

  func testOptimizerSteps() throws {
    let makers: [(String, ([Parameter]) -> Optimizer)] = [
      ("sgd", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-3) }),
      ("sgd_nesterov", { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }),
      ("adamw", { Adam.adamW($0, learningRate: 0.01, weightDecay: 0.05) }),
      ("adam", { Adam($0, learningRate: 0.01, weightDecay: 0.05, decoupled: false) }),
    ]
    for (name, make) in makers {
      let p = try Parameter("p", tensor("optim.p0"))
      let opt = make([p])
      for g in ["optim.g1", "optim.g2"] {
        try reorder(from: tensor(g), to: p.gradient())
        try opt.step()
      }
      try expect(p.value, "optim.\(name)")
    }
  }
}
