// swift-tools-version:6.0
import PackageDescription

// Each target declares every module it imports (tools/check_imports.py, run by `make test`,
// keeps this true): a module reached only through another target's dependencies is a bug here.
let package = Package(
  name: "swift-fcn",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "fcn", targets: ["FCNCommandLine"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .systemLibrary(name: "CDNNL", pkgConfig: "dnnl"),
    .systemLibrary(name: "CImageCodecs"),
    // zlib: raw inflate and CRC-32 for .pth zip entries.
    .systemLibrary(name: "CZlib"),
    // Open MPI (libopenmpi-dev, installed by scripts/setup) and the C shim over its macros.
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c"),
    .target(name: "CMPIShim", dependencies: ["CMPI"]),
    // Seeded generators for everything random (data, initialisation, dropout, test data).
    .target(name: "SeededRandom"),
    .target(name: "Tensor", dependencies: ["CDNNL"]),
    .target(name: "NN", dependencies: ["CDNNL", "SeededRandom", "Tensor"]),
    .target(name: "WeightIO", dependencies: ["CZlib"]),
    .target(name: "FCN", dependencies: ["NN", "SeededRandom", "Tensor", "WeightIO"]),
    .target(name: "SegData", dependencies: ["CImageCodecs", "SeededRandom"]),
    .target(name: "SegMetrics"),
    // Protocol-buffer wire encoding (hand-written; why: Sources/ProtoWire/ProtoWriter.swift),
    // shared by the TensorBoard event files and ONNX export.
    .target(name: "ProtoWire"),
    .target(name: "TensorBoard", dependencies: ["ProtoWire"]),
    .target(name: "ONNXExport", dependencies: ["FCN", "NN", "ProtoWire", "WeightIO"]),
    // Charts (SVG), sample panels (PNG), report.html and run comparison, from a run's files.
    .target(name: "Reports", dependencies: ["SegData", "SegMetrics"]),
    // Data-parallel training over MPI: process group, bucketed gradient all-reduce, sync BN.
    .target(name: "Distributed", dependencies: ["CMPIShim", "NN", "Tensor"]),
    .target(
      name: "Training",
      dependencies: [
        "Distributed", "FCN", "Inference", "NN", "Tensor", "Reports", "SegData", "SegMetrics", "TensorBoard",
        "WeightIO",
      ]),
    // Prediction after training: TTA, ensembles, sliding windows, submission CSV, saved probabilities.
    .target(name: "Inference", dependencies: ["FCN", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO"]),
    // A trained net compiled for prediction: BatchNorm folded, fp32 or int8 (post-training
    // quantisation, calibration, the int8 file).
    .target(name: "CompiledInference", dependencies: ["CDNNL", "FCN", "NN", "Tensor", "WeightIO"]),
    // The command line; its product keeps the name users type, `fcn`.
    .executableTarget(
      name: "FCNCommandLine",
      dependencies: [
        "Distributed", "Training", "Inference", "CompiledInference", "FCN", "NN", "ONNXExport", "Reports",
        "SeededRandom", "Tensor", "SegData", "SegMetrics", "WeightIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // What the test targets share (seeded test data, comparisons).
    .target(name: "TestSupport", dependencies: ["SeededRandom"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorTests", dependencies: ["CDNNL", "Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["CDNNL", "NN", "SeededRandom", "Tensor", "TestSupport", "WeightIO"]),
    .testTarget(name: "FCNTests", dependencies: ["FCN", "NN", "SeededRandom", "Tensor", "WeightIO"]),
    .testTarget(
      name: "CompiledInferenceTests",
      dependencies: ["CDNNL", "CompiledInference", "FCN", "NN", "SeededRandom", "Tensor", "WeightIO"]),
    .testTarget(name: "WeightIOTests", dependencies: ["SeededRandom", "WeightIO"]),
    .testTarget(name: "SegDataTests", dependencies: ["SeededRandom", "SegData"]),
    .testTarget(name: "SegMetricsTests", dependencies: ["SeededRandom", "SegMetrics", "TestSupport"]),
    .testTarget(name: "ReportsTests", dependencies: ["Reports", "SegData", "SegMetrics"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: [
        "FCN", "Inference", "Training", "NN", "SeededRandom", "Tensor", "SegData", "SegMetrics", "WeightIO",
      ]),
    // Runs the built `fcn` executable as a subprocess; needs the fcn product built first.
    .testTarget(name: "CLITests", dependencies: ["SegData", "SegMetrics", "WeightIO"]),
    .testTarget(
      name: "InferenceTests", dependencies: ["FCN", "Inference", "NN", "SegData", "SeededRandom", "Tensor", "WeightIO"]),
    // TensorBoard files, ONNX export and .pth writing against fixtures made by Python's own
    // writers (tools/make_interop_fixtures.py).
    .testTarget(
      name: "InteropTests",
      dependencies: ["FCN", "NN", "ONNXExport", "ProtoWire", "SegData", "Tensor", "TensorBoard", "WeightIO"]),
  ],
  swiftLanguageModes: [.v5]
)
