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
  public var planningModel: FCNModel? { model }
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
      guard conv.groups == 1 else {
        throw FCNError.invalidConfig("\(node.name): grouped convolutions are not supported by the inference network")
      }
      // Unfolded weights are shared with the model rather than copied (the paper's fc6 alone
      // is 400 MB); folded ones are new values.
      var weight = conv.weight.value
      var bias = try conv.bias?.value ?? Tensor.zeros(shape: [conv.weight.shape[0]])
      var relu = conv.fuseReLU
      var output = node.name
      var next = i + 1
      if next < nodes.count, let bn = nodes[next].op as? BatchNorm2D, nodes[next].inputs == [node.name],
        readers[node.name] == 1, !relu
      {
        let folded = try foldBatchNorm(
          weight: weight.toArray(), outChannels: conv.weight.shape[0], bias: bias.toArray(),
          gamma: bn.weight.values, beta: bn.bias.values, mean: bn.stats.mean.toArray(),
          variance: bn.stats.variance.toArray(), eps: bn.eps)
        weight = try Tensor(shape: conv.weight.shape, values: folded.weight)
        bias = try Tensor(shape: [folded.bias.count], values: folded.bias)
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
      let ic = try InferenceConv(name: node.name, geometry: conv.geometry, weight: weight, bias: bias, fuseReLU: relu)
      convs.append(ic)
      steps.append(InferenceStep(name: node.name, output: output, inputs: inputs, kind: .conv(ic)))
      i = next
    }
    // The network's output is the last node's, whatever step now produces it.
    if let lastNode = nodes.last, resolve(lastNode.name) != steps.last?.output {
      throw FCNError.invalidConfig("inference network: the graph's output \(lastNode.name) is not its last step")
    }
    steps = fuseSkipSums(steps)
    var last: [String: Int] = [:]
    for (k, s) in steps.enumerated() { for input in s.inputs { last[input] = k } }
    self.steps = steps
    self.convolutions = convs
    self.lastUse = last
  }

  public var classes: Int { config.classes }
  /// The parameters its graph nodes still use (the deconvolutions'): callers keep their blocked
  /// copies between passes (`keepingInferenceCopies`, as eval and predict do). The convolutions'
  /// weights are private prepared copies, blocked once, and not listed.
  public var parameters: [Parameter] {
    var seen = Set<ObjectIdentifier>()
    var out: [Parameter] = []
    for step in steps {
      guard case .node(let node) = step.kind, let layer = node.op.layer else { continue }
      for p in layer.parameters where seen.insert(ObjectIdentifier(p)).inserted { out.append(p) }
    }
    return out
  }

  public var isInt8: Bool { convolutions.contains(where: \.isInt8) }
  /// Skip additions done as a convolution's sum post-op so far (the tests check it happens).
  public private(set) var fusedSums = 0

  /// fp32, or bf16 after `useBF16()`.
  public private(set) var computeType: DType = .f32

  /// bf16 compute (`--precision bf16`): every convolution and deconvolution reads and writes
  /// bf16 (fp32 accumulation), and the activations between them, pooling, crops and sums stay
  /// bf16; the logits are converted to fp32 at the end. Refused where oneDNN runs no bf16
  /// (`BF16Support`), and for an int8 network, whose layers take bytes, not bf16.
  public func useBF16() throws {
    try DType.bf16.checkSupported()
    guard !isInt8 else {
      throw TensorError.unsupported(
        "--precision bf16: this is an int8 model (\(convolutions.filter(\.isInt8).count) quantised convolutions); run it with --precision fp32, or give the fp32 checkpoint"
      )
    }
    for c in convolutions { c.computeType = .bf16 }
    computeType = .bf16
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
      case .convSum(let conv, let crop, let sum):
        out = try runConvSum(conv, crop: crop, sum: sum, input: inputs[0], addend: inputs[1], image: imageVariable)
      }
      for input in step.inputs where lastUse[input] == k { values[input] = nil }
      values[step.output] = out
      result = out
    }
    guard let result else { throw FCNError.invalidConfig("inference network has no steps") }
    return result
  }

  /// addend + crop(conv(x)): when the crop keeps everything (the course nets and the compact
  /// head, whose maps line up) the convolution adds its result into the addend's storage as a
  /// oneDNN `sum` post-op, in one pass; otherwise conv, crop and add run one after the other.
  private func runConvSum(
    _ conv: InferenceConv, crop: GraphNode, sum: GraphNode, input: Activation, addend: Activation, image: Variable
  ) throws -> Activation {
    let a = addend.tensor
    if let align = crop.op as? AlignCrop, align.offset == 0, !addend.isQuantized, a.dtype == conv.computeType,
      conv.outputShape(input.tensor.shape) == a.shape,
      let fused = try? conv(input, accumulatingInto: a)
    {
      fusedSums += 1
      return fused
    }
    let y = try conv(input)
    let cropped = try run(crop, [y, addend], image: image)
    return try run(sum, [addend, cropped], image: image)
  }

  /// A parameter-free or deconvolution node: max pooling keeps quantised bytes (max commutes
  /// with a positive scale); in a bf16 network every node runs on bf16 (deconvolutions compute
  /// in it); everything else gets fp32.
  private func run(_ node: GraphNode, _ inputs: [Activation], image: Variable) throws -> Activation {
    if node.op is ImageInput { return Activation(image.value) }
    if computeType == .bf16 {
      let values = inputs.map { Variable($0.tensor) }
      return Activation(
        try MixedPrecision.computing(in: .bf16) { try node.op.run(values, node: node, image: image) }.value)
    }
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
    /// A skip: sum(addend, crop(conv(x), like: addend)), inputs [x, addend].
    case convSum(InferenceConv, crop: GraphNode, sum: GraphNode)
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

/// Rewrites each skip addition `Sum(a, AlignCrop(conv(x), like: a))` whose convolution (no ReLU)
/// and crop feed nothing else into one `.convSum` step at the sum's place: the convolution can
/// then add into `a` as a post-op. `a` must be read by nothing but the crop (for its size) and
/// the sum, since the fused step writes into it.
func fuseSkipSums(_ steps: [InferenceStep]) -> [InferenceStep] {
  var readers: [String: Int] = [:]
  for s in steps { for i in s.inputs { readers[i, default: 0] += 1 } }
  var producer: [String: Int] = [:]
  for (k, s) in steps.enumerated() { producer[s.output] = k }
  var removed = Set<Int>()
  var out = steps
  for (k, step) in steps.enumerated() {
    guard case .node(let sum) = step.kind, sum.op is Sum, step.inputs.count == 2 else { continue }
    let (a, c) = (step.inputs[0], step.inputs[1])
    guard let ck = producer[c], case .node(let crop) = steps[ck].kind, crop.op is AlignCrop,
      steps[ck].inputs.count == 2, steps[ck].inputs[1] == a, readers[c] == 1,
      let xk = producer[steps[ck].inputs[0]], case .conv(let conv) = steps[xk].kind, !conv.fuseReLU,
      readers[steps[xk].output] == 1, readers[a] == 2
    else { continue }
    removed.formUnion([ck, xk])
    out[k] = InferenceStep(
      name: conv.name, output: step.output, inputs: [steps[xk].inputs[0], a],
      kind: .convSum(conv, crop: crop, sum: sum))
  }
  return out.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
}
