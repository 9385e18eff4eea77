import FCN
import NN
import Tensor

/// A trained FCN compiled for inference. Each convolution followed by a BatchNorm (the course
/// nets, `-bn` backbones) becomes one convolution with the BatchNorm folded into its weights and
/// bias (w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β), its ReLU a post-op, so the three passes
/// over each activation become one; dropout (the identity in eval) disappears; the other nodes
/// (pooling, padding, crops, sums, deconvolutions) run as in the training graph.
/// Every convolution is fp32 or int8 (after `quantize`); quantised activations stay bytes from
/// one int8 convolution through max pooling to the next, and are converted only at the edges.
public final class InferenceNetwork: InferenceModel {
  public let config: ModelConfig
  /// The graph's source: its deconvolutions and parameter-free ops run from here.
  public let model: FCNModel
  public let steps: [InferenceStep]
  /// The convolutions in graph order (each once), by their graph node name.
  public let convolutions: [InferenceConv]
  /// For each value, the last step that reads it (then it is dropped).
  private let lastUse: [String: Int]

  /// Compiles `model` (in eval mode: BatchNorm with its running statistics) for inference.
  public init(folding model: FCNModel) throws {
    self.model = model
    config = model.config
    model.setTraining(false)
    let nodes = model.nodes
    var readers: [String: Int] = [:]
    for n in nodes { for i in n.inputs { readers[i, default: 0] += 1 } }
    var alias: [String: String] = [:]
    func resolve(_ name: String) -> String { alias[name].map(resolve) ?? name }
    var steps: [InferenceStep] = []
    var convs: [InferenceConv] = []
    var i = 0
    while i < nodes.count {
      let node = nodes[i]
      let inputs = node.inputs.map(resolve)
      if node.op is Dropout2D {
        alias[node.name] = inputs[0]
        i += 1
        continue
      }
      guard let conv = node.op as? Conv2D else {
        steps.append(InferenceStep(name: node.name, output: node.name, inputs: inputs, kind: .node(node)))
        i += 1
        continue
      }
      var weight = try conv.weight.values
      var bias = try conv.bias?.values ?? [Float](repeating: 0, count: conv.weight.shape[0])
      var relu = conv.fuseReLU
      var output = node.name
      var next = i + 1
      if next < nodes.count, let bn = nodes[next].op as? BatchNorm2D, nodes[next].inputs == [node.name],
        readers[node.name] == 1, !relu, conv.groups == 1
      {
        let folded = try foldBatchNorm(
          weight: weight, outChannels: conv.weight.shape[0], bias: bias, gamma: bn.weight.values,
          beta: bn.bias.values, mean: bn.stats.mean.toArray(), variance: bn.stats.variance.toArray(), eps: bn.eps)
        (weight, bias) = folded
        output = nodes[next].name
        next += 1
        if next < nodes.count, nodes[next].op is ReLUInPlace, nodes[next].inputs == [output],
          readers[output] == 1
        {
          relu = true
          output = nodes[next].name
          next += 1
        }
      }
      guard conv.groups == 1 else {
        throw FCNError.invalidConfig("\(node.name): grouped convolutions are not supported by the inference network")
      }
      let ic = try InferenceConv(
        name: node.name, geometry: conv.geometry, weight: Tensor(shape: conv.weight.shape, values: weight),
        bias: Tensor(shape: [bias.count], values: bias), fuseReLU: relu)
      convs.append(ic)
      steps.append(InferenceStep(name: node.name, output: output, inputs: inputs, kind: .conv(ic)))
      i = next
    }
    // The network's output is the last node's, whatever step now produces it.
    if let lastNode = nodes.last, resolve(lastNode.name) != steps.last?.output {
      throw FCNError.invalidConfig("inference network: the graph's output \(lastNode.name) is not its last step")
    }
    var last: [String: Int] = [:]
    for (k, s) in steps.enumerated() { for input in s.inputs { last[input] = k } }
    self.steps = steps
    self.convolutions = convs
    self.lastUse = last
  }

  public var classes: Int { config.classes }
  /// Its weights are private prepared copies: nothing for a caller to keep or update.
  public var parameters: [Parameter] { [] }

  public var isInt8: Bool { convolutions.contains(where: \.isInt8) }

  /// bf16 compute for every fp32 convolution (activations between them stay bf16); refused
  /// where the CPU has no bf16 (AVX-512 BF16, AMX or AVX2-VNNI-2).
  public func useBF16() throws {
    try DType.bf16.checkSupported()
    for c in convolutions where !c.isInt8 { c.computeType = .bf16 }
  }

  /// Logits [N, K, H, W] (fp32, in the last layer's layout) for images [N, C, H, W].
  public func callAsFunction(_ x: Variable) throws -> Variable {
    try Variable(run(x.value).dequantized())
  }

  /// Runs the network; `observe` sees the network input ("data") and every convolution's
  /// output (fp32 when the network is), by the convolution's name: calibration's hook.
  public func run(_ image: Tensor, observe: ((String, Tensor) throws -> Void)? = nil) throws -> Activation {
    let xs = image.shape
    guard xs.count == 4, xs[1] == config.inputChannels, xs[0] >= 1, xs[2] >= 1, xs[3] >= 1 else {
      throw FCNError.unsupportedInput(
        "\(config.name): input must be [N, \(config.inputChannels), H, W] with N, H, W ≥ 1, got \(describe(xs))")
    }
    try observe?("data", image)
    let imageVariable = Variable(image)
    var values: [String: Activation] = [:]
    var result: Activation?
    for (k, step) in steps.enumerated() {
      let inputs = try step.inputs.map { name -> Activation in
        guard let v = values[name] else {
          throw FCNError.invalidConfig("inference network: \(step.name) reads \(name) before it is computed")
        }
        return v
      }
      let out: Activation
      switch step.kind {
      case .conv(let conv):
        out = try conv(inputs[0])
        try observe?(conv.name, out.tensor)
      case .node(let node):
        out = try run(node, inputs, image: imageVariable)
      }
      for input in step.inputs where lastUse[input] == k { values[input] = nil }
      values[step.output] = out
      result = out
    }
    guard let result else { throw FCNError.invalidConfig("inference network has no steps") }
    return result
  }

  /// A parameter-free or deconvolution node: max pooling keeps quantised bytes (max commutes
  /// with a positive scale); everything else gets fp32.
  private func run(_ node: GraphNode, _ inputs: [Activation], image: Variable) throws -> Activation {
    if node.op is ImageInput { return Activation(image.value) }
    if node.op is MaxPool2D, let x = inputs.first, x.isQuantized || x.tensor.dtype == .bf16 {
      let y = try node.op.run([Variable(x.tensor)], node: node, image: image)
      return Activation(y.value, scale: x.scale)
    }
    let fp32 = try inputs.map { Variable(try $0.dequantized()) }
    return Activation(try node.op.run(fp32, node: node, image: image).value)
  }
}

/// One step of the inference network: a prepared convolution or a node of the training graph.
public struct InferenceStep {
  public enum Kind {
    case conv(InferenceConv)
    case node(GraphNode)
  }
  /// The graph node it starts from (a convolution's own name).
  public let name: String
  /// The graph node whose value it produces (the ReLU after a folded BatchNorm).
  public let output: String
  public let inputs: [String]
  public let kind: Kind
}

/// The convolution that computes conv → BatchNorm (eval) in one: per output channel o,
/// s = γ[o]/√(σ²[o]+ε), w'[o] = w[o]·s, b'[o] = (b[o] − μ[o])·s + β[o]. Computed in Double.
public func foldBatchNorm(
  weight: [Float], outChannels o: Int, bias: [Float], gamma: [Float], beta: [Float], mean: [Float],
  variance: [Float], eps: Float
) throws -> (weight: [Float], bias: [Float]) {
  guard o > 0, weight.count % o == 0, bias.count == o, gamma.count == o, beta.count == o, mean.count == o,
    variance.count == o
  else {
    throw FCNError.invalidConfig(
      "folding BatchNorm: \(o) channels but weight \(weight.count), bias \(bias.count), γ \(gamma.count), β \(beta.count), μ \(mean.count), σ² \(variance.count) values"
    )
  }
  let per = weight.count / o
  var w = weight
  var b = bias
  for c in 0..<o {
    let s = Double(gamma[c]) / (Double(variance[c]) + Double(eps)).squareRoot()
    for k in (c * per)..<((c + 1) * per) { w[k] = Float(Double(weight[k]) * s) }
    b[c] = Float((Double(bias[c]) - Double(mean[c])) * s + Double(beta[c]))
  }
  return (w, b)
}
