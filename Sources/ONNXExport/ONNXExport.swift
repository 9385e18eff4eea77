// ONNXExport: an FCN model as an ONNX file (onnx.proto's ModelProto), for ONNX Runtime and the
// other tools that read ONNX. It walks the model's graph (FCN's GraphNode/GraphOp) and writes one
// or a few ONNX nodes per graph node, with the weights as initializers. Imports FCN, NN and
// ProtoWire; nothing here runs the model.
