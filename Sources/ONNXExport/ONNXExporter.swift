import FCN
import Foundation
import NN
import WeightIO

/// Writes an `FCNModel` in eval mode as ONNX: input `input` float32 [N, C, H, W] (already
/// normalised), output `logits` float32 [N, K, H, W], the same numbers `fcn predict
/// --save-logits` gives. Dropout is the identity in eval and is left out; BatchNorm is
/// `BatchNormalization` with the running statistics (exact, where folding it into the
/// convolution would round differently); the weights are initializers under their state_dict
/// names.
///
/// With `.dynamic` height and width (the default) the course nets' pad-to-32 and every crop
/// compute their amounts in the graph from `Shape`, because they depend on the input size:
/// pad = (32 − H mod 32) mod 32, and a crop keeps `offset ..< offset + reference size`. With
/// `.fixed` they are constants for that size (and the file accepts only it).
public struct ONNXExporter {
  public enum Size: Equatable, Sendable {
    case dynamic
    case fixed(height: Int, width: Int)
  }

  /// Opsets this exporter's nodes are valid in (Pad and Slice take their amounts as inputs from
  /// 11 on; BatchNormalization has one output from 14 on: written with one output either way).
  public static let opsets = 11...21

  public let model: FCNModel
  public var opset = 17
  public var size = Size.dynamic
  /// metadata_props: what a user of the file needs to know (normalisation, class names, …).
  public var metadata: [(String, String)] = []

  public init(model: FCNModel, opset: Int = 17, size: Size = .dynamic, metadata: [(String, String)] = []) {
    self.model = model
    self.opset = opset
    self.size = size
    self.metadata = metadata
  }

  /// The metadata_props `fcn export` writes: the normalisation the input must already have
  /// (name and formula), the class names (JSON array), the model configuration (JSON) and what
  /// the output is.
  public static func metadata(
    for model: FCNModel, normalization: String, formula: String, classNames: [String]
  ) throws -> [(String, String)] {
    // Sorted keys: the same model gives the same bytes (the tests compare files).
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = { (value: Encodable) throws in String(decoding: try encoder.encode(value), as: UTF8.self) }
    return [
      ("normalization", normalization),
      ("normalization_formula", formula),
      ("class_names", try json(classNames)),
      ("model_config", try json(model.config)),
      ("output", "logits [N, \(model.classes), H, W]: the class of a pixel is the argmax over the second axis"),
    ]
  }

  /// The ONNX IR version that goes with an opset (onnx's own table: onnx/helper.py VERSION_TABLE).
  static func irVersion(opset: Int) -> Int {
    switch opset {
    case ...11: return 6
    case 12...14: return 7
    case 15...18: return 8
    case 19...20: return 9
    default: return 10
    }
  }

  /// The file's bytes.
  public func encoded() throws -> [UInt8] {
    guard Self.opsets.contains(opset) else {
      throw FCNError.invalidConfig(
        "--opset \(opset): ONNX export supports opsets \(Self.opsets.lowerBound)–\(Self.opsets.upperBound)")
    }
    var g = GraphEmitter(dynamic: size == .dynamic)
    let fixedShapes = try staticShapes()
    var names: [String: String] = [:]
    let last = model.nodes.count - 1
    for (i, node) in model.nodes.enumerated() {
      let inputs = node.inputs.map { names[$0]! }
      let output = i == last ? "logits" : node.name
      names[node.name] = try g.emit(
        node, inputs: inputs, output: output, inputShapes: node.inputs.map { fixedShapes?[$0] })
    }
    if names[model.nodes[last].name] != "logits" {
      // The last node was left out (dropout): name its input the output.
      g.nodes.append(
        ONNXNode(op: "Identity", inputs: [names[model.nodes[last].name]!], outputs: ["logits"], name: "logits"))
    }
    let spatial: [ONNXDim]
    switch size {
    case .dynamic: spatial = [.param("H"), .param("W")]
    case .fixed(let h, let w): spatial = [.value(h), .value(w)]
    }
    let onnx = ONNXModel(
      irVersion: Self.irVersion(opset: opset), opset: opset, producerName: "swift-fcn", producerVersion: "1",
      graphName: model.config.name, nodes: g.nodes, initializers: g.initializers,
      inputs: [ONNXValueInfo(name: "input", dims: [.param("N"), .value(model.config.inputChannels)] + spatial)],
      outputs: [ONNXValueInfo(name: "logits", dims: [.param("N"), .value(model.classes)] + spatial)],
      metadata: metadata,
      docString:
        "\(model.config.name), \(model.classes) classes: input [N, \(model.config.inputChannels), H, W] normalised as metadata 'normalization' says; output logits [N, \(model.classes), H, W]"
    )
    return onnx.encoded
  }

  public func write(to url: URL) throws {
    try AtomicFile.write(encoded(), to: url)
  }

  /// Every node's shape at the fixed size (batch 1), nil for dynamic export. A size too small
  /// for the net fails here with the node's own message.
  func staticShapes() throws -> [String: [Int]]? {
    guard case .fixed(let h, let w) = size else { return nil }
    var shapes: [String: [Int]] = [:]
    for node in model.nodes {
      if node.inputs.isEmpty {
        shapes[node.name] = [1, model.config.inputChannels, h, w]
      } else {
        shapes[node.name] = try node.op.outputShape(node.inputs.map { shapes[$0]! }, node: node)
      }
    }
    return shapes
  }
}

/// Appends ONNX nodes and initializers for graph nodes, one at a time.
struct GraphEmitter {
  let dynamic: Bool
  var nodes: [ONNXNode] = []
  var initializers: [ONNXTensor] = []
  private var initializerNames = Set<String>()
  /// The [H, W] (int64) of a value, computed once per value from Shape.
  private var spatialOf: [String: String] = [:]

  init(dynamic: Bool) { self.dynamic = dynamic }

  /// Emits `node`; returns the ONNX value that holds its output (its input's, for an op left out).
  mutating func emit(
    _ node: GraphNode, inputs: [String], output: String, inputShapes: [[Int]?]
  ) throws -> String {
    let name = node.name
    switch node.op {
    case is ImageInput:
      return "input"
    case is Dropout2D:
      return inputs[0]
    case let conv as Conv2D:
      let w = conv.weight.value.shape
      let g = conv.geometry
      var args = [inputs[0], try weight(conv.weight)]
      if let b = conv.bias { args.append(try weight(b)) }
      let convOut = conv.fuseReLU ? name + "_conv" : output
      nodes.append(
        ONNXNode(
          op: "Conv", inputs: args, outputs: [convOut], name: name,
          attributes: [
            ONNXAttribute("dilations", .ints([g.dilation.h, g.dilation.w])),
            ONNXAttribute("group", .int(conv.groups)),
            ONNXAttribute("kernel_shape", .ints([w[2], w[3]])),
            ONNXAttribute("pads", .ints([g.padding.h, g.padding.w, g.padding.h, g.padding.w])),
            ONNXAttribute("strides", .ints([g.stride.h, g.stride.w])),
          ]))
      if conv.fuseReLU {
        nodes.append(ONNXNode(op: "Relu", inputs: [convOut], outputs: [output], name: name + "_relu"))
      }
    case let bn as BatchNorm2D:
      nodes.append(
        ONNXNode(
          op: "BatchNormalization",
          inputs: [
            inputs[0], try weight(bn.weight), try weight(bn.bias),
            try constant(bn.name + ".running_mean", bn.stats.mean.shape, bn.stats.mean.toArray()),
            try constant(bn.name + ".running_var", bn.stats.variance.shape, bn.stats.variance.toArray()),
          ],
          outputs: [output], name: name,
          // ONNX's momentum is PyTorch's 1 − momentum; it does not matter in inference.
          attributes: [ONNXAttribute("epsilon", .float(bn.eps)), ONNXAttribute("momentum", .float(1 - bn.momentum))]))
    case is ReLUInPlace:
      nodes.append(ONNXNode(op: "Relu", inputs: [inputs[0]], outputs: [output], name: name))
    case let pool as MaxPool2D:
      nodes.append(
        ONNXNode(
          op: "MaxPool", inputs: [inputs[0]], outputs: [output], name: name,
          attributes: [
            ONNXAttribute("ceil_mode", .int(pool.ceilMode ? 1 : 0)),
            ONNXAttribute("kernel_shape", .ints([pool.kernel, pool.kernel])),
            ONNXAttribute("pads", .ints([pool.padding, pool.padding, pool.padding, pool.padding])),
            ONNXAttribute("strides", .ints([pool.stride, pool.stride])),
          ]))
    case let deconv as ConvTranspose2D:
      let w = deconv.weight.value.shape
      var args = [inputs[0], try weight(deconv.weight)]
      if let b = deconv.bias { args.append(try weight(b)) }
      var attributes = [
        ONNXAttribute("kernel_shape", .ints([w[2], w[3]])),
        ONNXAttribute("pads", .ints([deconv.padding, deconv.padding, deconv.padding, deconv.padding])),
        ONNXAttribute("strides", .ints([deconv.stride, deconv.stride])),
      ]
      if deconv.outputPadding != 0 {
        attributes.append(ONNXAttribute("output_padding", .ints([deconv.outputPadding, deconv.outputPadding])))
      }
      nodes.append(ONNXNode(op: "ConvTranspose", inputs: args, outputs: [output], name: name, attributes: attributes))
    case let scale as Scale:
      let factor = constant(name + ".factor", [], [scale.factor])
      nodes.append(ONNXNode(op: "Mul", inputs: [inputs[0], factor], outputs: [output], name: name))
    case is Sum:
      nodes.append(ONNXNode(op: "Add", inputs: inputs, outputs: [output], name: name))
    case let pad as PadToMultiple:
      let pads: String
      if let s = inputShapes[0] {
        let h = (pad.multiple - s[2] % pad.multiple) % pad.multiple
        let w = (pad.multiple - s[3] % pad.multiple) % pad.multiple
        pads = integers(name + ".pads", [0, 0, 0, 0, 0, 0, h, w])
      } else {
        // (m − [H, W] mod m) mod m, after six zeros: ONNX pads are [begins…, ends…] per axis.
        let m = integers(name + ".multiple", [pad.multiple])
        let remainder = op("Mod", [spatial(inputs[0]), m], name + "_remainder")
        let missing = op("Sub", [m, remainder], name + "_missing")
        let amount = op("Mod", [missing, m], name + "_amount")
        pads = op(
          "Concat", [integers(name + ".begins", [0, 0, 0, 0, 0, 0]), amount], name + "_pads",
          [ONNXAttribute("axis", .int(0))])
      }
      nodes.append(
        ONNXNode(
          op: "Pad", inputs: [inputs[0], pads], outputs: [output], name: name,
          attributes: [ONNXAttribute("mode", .string("constant"))]))
    case let crop as AlignCrop:
      let o = crop.offset
      let starts = integers(name + ".starts", [o, o])
      let ends: String
      if let r = inputShapes[1] {
        ends = integers(name + ".ends", [o + r[2], o + r[3]])
      } else {
        ends = op("Add", [spatial(inputs[1]), starts], name + "_ends")
      }
      nodes.append(
        ONNXNode(
          op: "Slice", inputs: [inputs[0], starts, ends, integers("spatial_axes", [2, 3])], outputs: [output],
          name: name))
    default:
      throw FCNError.invalidConfig("\(name): ONNX export does not know the graph op \(type(of: node.op))")
    }
    return output
  }

  /// [H, W] of `value` as int64: Shape, then its elements 2 and 3.
  private mutating func spatial(_ value: String) -> String {
    if let s = spatialOf[value] { return s }
    let shape = op("Shape", [value], value + "_shape")
    let hw = op(
      "Slice", [shape, integers("shape_hw_starts", [2]), integers("shape_hw_ends", [4]), integers("shape_axis", [0])],
      value + "_hw")
    spatialOf[value] = hw
    return hw
  }

  /// A node with one output named after it.
  private mutating func op(_ type: String, _ inputs: [String], _ name: String, _ attributes: [ONNXAttribute] = [])
    -> String
  {
    nodes.append(ONNXNode(op: type, inputs: inputs, outputs: [name], name: name, attributes: attributes))
    return name
  }

  /// A parameter as an initializer under its state_dict name (once, though a shared layer —
  /// the course net's upsample_double — is used twice).
  private mutating func weight(_ p: Parameter) throws -> String {
    constant(p.name, p.value.shape, try p.values)
  }

  private mutating func constant(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
    if initializerNames.insert(name).inserted { initializers.append(ONNXTensor(name, dims: shape, floats: values)) }
    return name
  }

  private mutating func integers(_ name: String, _ values: [Int]) -> String {
    if initializerNames.insert(name).inserted { initializers.append(ONNXTensor(name, int64s: values)) }
    return name
  }
}
