import ProtoWire

// The part of onnx.proto (ONNX IR) an FCN needs, as plain values with their encoders. Field
// numbers are onnx.proto's; onnx.proto is proto2, so repeated int64s are written unpacked.

/// TensorProto.DataType values used here.
enum ONNXType: Int {
  case float = 1
  case int64 = 7
}

/// A named constant tensor (weights, pads, slice bounds): TensorProto.
struct ONNXTensor {
  var name: String
  var dims: [Int]
  var type: ONNXType
  /// Little-endian element bytes (raw_data).
  var raw: [UInt8]

  init(_ name: String, dims: [Int], floats: [Float]) {
    self.name = name
    self.dims = dims
    type = .float
    raw = []
    raw.reserveCapacity(floats.count * 4)
    for f in floats { for i in 0..<4 { raw.append(UInt8(truncatingIfNeeded: f.bitPattern >> (8 * UInt32(i)))) } }
  }

  init(_ name: String, int64s: [Int]) {
    self.name = name
    dims = [int64s.count]
    type = .int64
    raw = []
    for v in int64s {
      for i in 0..<8 { raw.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(v)) >> (8 * UInt64(i)))) }
    }
  }

  /// TensorProto{dims = 1, data_type = 2, name = 8, raw_data = 9}.
  func encode(_ w: inout ProtoWriter) {
    w.repeatedInts(1, dims.map(Int64.init))
    w.int(2, type.rawValue, always: true)
    w.string(8, name)
    w.byteString(9, raw, always: true)
  }
}

/// AttributeProto with its AttributeType.
struct ONNXAttribute {
  var name: String
  var value: Value

  enum Value {
    case int(Int)
    case ints([Int])
    case float(Float)
    case string(String)
  }

  init(_ name: String, _ value: Value) {
    self.name = name
    self.value = value
  }

  /// AttributeProto{name = 1, f = 2, i = 3, s = 4, ints = 8, type = 20};
  /// AttributeType FLOAT = 1, INT = 2, STRING = 3, INTS = 7.
  func encode(_ w: inout ProtoWriter) {
    w.string(1, name)
    switch value {
    case .float(let f):
      w.float(2, f, always: true)
      w.int(20, 1)
    case .int(let i):
      w.int(3, i, always: true)
      w.int(20, 2)
    case .string(let s):
      w.string(4, s, always: true)
      w.int(20, 3)
    case .ints(let v):
      w.repeatedInts(8, v.map(Int64.init))
      w.int(20, 7)
    }
  }
}

/// NodeProto.
struct ONNXNode {
  var op: String
  var inputs: [String]
  var outputs: [String]
  var name: String
  var attributes: [ONNXAttribute] = []

  /// NodeProto{input = 1, output = 2, name = 3, op_type = 4, attribute = 5}.
  func encode(_ w: inout ProtoWriter) {
    for i in inputs { w.string(1, i, always: true) }
    for o in outputs { w.string(2, o, always: true) }
    w.string(3, name)
    w.string(4, op)
    for a in attributes { w.message(5) { a.encode(&$0) } }
  }
}

/// A dimension of a graph input or output: a number, or a name for a size given at run time.
enum ONNXDim: Equatable {
  case value(Int)
  case param(String)
}

/// ValueInfoProto of a float tensor.
struct ONNXValueInfo {
  var name: String
  var dims: [ONNXDim]

  /// ValueInfoProto{name = 1, type = 2}; TypeProto{tensor_type = 1};
  /// TypeProto.Tensor{elem_type = 1, shape = 2}; TensorShapeProto{dim = 1};
  /// Dimension{dim_value = 1, dim_param = 2}.
  func encode(_ w: inout ProtoWriter) {
    w.string(1, name)
    w.message(2) { t in
      t.message(1) { tensor in
        tensor.int(1, ONNXType.float.rawValue)
        tensor.message(2) { shape in
          for d in dims {
            shape.message(1) { dim in
              switch d {
              case .value(let v): dim.int(1, v, always: true)
              case .param(let p): dim.string(2, p, always: true)
              }
            }
          }
        }
      }
    }
  }
}

/// GraphProto and ModelProto together (a model has one graph here).
struct ONNXModel {
  var irVersion: Int
  var opset: Int
  var producerName: String
  var producerVersion: String
  var graphName: String
  var nodes: [ONNXNode]
  var initializers: [ONNXTensor]
  var inputs: [ONNXValueInfo]
  var outputs: [ONNXValueInfo]
  var metadata: [(String, String)]
  var docString: String

  /// ModelProto{ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6,
  /// graph = 7, opset_import = 8, metadata_props = 14}; OperatorSetIdProto{domain = 1,
  /// version = 2}; StringStringEntryProto{key = 1, value = 2};
  /// GraphProto{node = 1, name = 2, initializer = 5, input = 11, output = 12}.
  var encoded: [UInt8] {
    var w = ProtoWriter()
    w.int(1, irVersion)
    w.string(2, producerName)
    w.string(3, producerVersion)
    w.string(6, docString)
    w.message(7) { g in
      for n in nodes { g.message(1) { n.encode(&$0) } }
      g.string(2, graphName)
      for t in initializers { g.message(5) { t.encode(&$0) } }
      for i in inputs { g.message(11) { i.encode(&$0) } }
      for o in outputs { g.message(12) { o.encode(&$0) } }
    }
    w.message(8) { $0.int(2, opset, always: true) }
    for (k, v) in metadata {
      w.message(14) { e in
        e.string(1, k, always: true)
        e.string(2, v, always: true)
      }
    }
    return w.bytes
  }
}
