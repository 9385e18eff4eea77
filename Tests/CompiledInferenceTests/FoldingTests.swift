import FCN
import CompiledInference
import NN
import Tensor
import XCTest

/// The folded inference network against the training graph in eval mode: same logits within
/// 1e-4 of their scale, at the class counts and odd sizes users have.
final class FoldingTests: XCTestCase {
  /// One channel by hand: w = [2, −1], b = 0.5, γ = 3, β = −1, μ = 0.25, σ² = 3, ε = 1
  /// → s = 3/√4 = 1.5, w' = [3, −1.5], b' = (0.5 − 0.25)·1.5 − 1 = −0.625.
  func testFoldBatchNormByHand() throws {
    let (w, b) = try foldBatchNorm(
      weight: [2, -1], outChannels: 1, bias: [0.5], gamma: [3], beta: [-1], mean: [0.25], variance: [3], eps: 1)
    XCTAssertEqual(w, [3, -1.5])
    XCTAssertEqual(b, [-0.625])
  }

  func testFoldRejectsMismatchedStatistics() {
    XCTAssertThrowsError(
      try foldBatchNorm(
        weight: [1, 2], outChannels: 2, bias: [0, 0], gamma: [1], beta: [0, 0], mean: [0, 0], variance: [1, 1],
        eps: 1e-5))
  }

  func check(
    _ name: ModelName, classes: Int, backbone: Backbone? = nil, shape: [Int], fusedSums: Int = 0,
    file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let model = try smallModel(name, classes: classes, backbone: backbone)
    let image = try testImages(shape, seed: UInt64(classes))
    let reference = try model(Variable(image)).value.toArray()
    let network = try InferenceNetwork(folding: model)
    let folded = try network(Variable(image))
    XCTAssertEqual(folded.shape, [shape[0], classes, shape[2], shape[3]], file: file, line: line)
    let error = relativeError(try folded.value.toArray(), reference)
    XCTAssertLessThan(error, 1e-4, "\(name) \(classes) classes \(shape)", file: file, line: line)
    // The skip additions whose maps line up ran as sum post-ops, once per pass.
    XCTAssertEqual(network.fusedSums, fusedSums, "\(name): skip sums done as post-ops", file: file, line: line)
    // Folding must have removed every BatchNorm: no step runs one.
    for step in network.steps {
      if case .node(let node) = step.kind {
        XCTAssertFalse(node.op is BatchNorm2D, "\(node.name) was not folded", file: file, line: line)
      }
    }
  }

  func testCourseFCN8At11And21ClassesOddSizes() throws {
    try check(.courseFCN8, classes: 11, shape: [2, 3, 45, 37], fusedSums: 2)
    try check(.courseFCN8, classes: 21, shape: [1, 3, 70, 33], fusedSums: 2)
  }

  func testCourseFCN16And32() throws {
    try check(.courseFCN16, classes: 21, shape: [1, 3, 50, 41], fusedSums: 1)
    try check(.courseFCN32, classes: 11, shape: [1, 3, 33, 64])
  }

  /// The paper head (pad 100, 7×7 fc6, real crops) on a -bn backbone, and a plain backbone
  /// (nothing to fold: the ReLU is already fused).
  func testPaperNets() throws {
    try check(.fcn8s, classes: 11, backbone: .vgg11bn, shape: [1, 3, 29, 35])
    try check(.fcn16s, classes: 21, backbone: .vgg11, shape: [1, 3, 20, 23])
  }
}
