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
    // Seeded generators for everything random (data, initialisation, dropout, test data).
    .target(name: "SeededRandom"),
    .target(name: "Tensor", dependencies: ["CDNNL"]),
    .target(name: "NN", dependencies: ["CDNNL", "SeededRandom", "Tensor"]),
    .target(name: "WeightIO", dependencies: ["CZlib"]),
    .target(name: "FCN", dependencies: ["NN", "SeededRandom", "Tensor", "WeightIO"]),
    .target(name: "SegData", dependencies: ["CImageCodecs", "SeededRandom"]),
    .target(name: "SegMetrics"),
    // A trained net compiled for prediction: BatchNorm folded, fp32 or int8 (post-training
    // quantisation, calibration, the int8 file).
    .target(name: "CompiledInference", dependencies: ["CDNNL", "FCN", "NN", "Tensor", "WeightIO"]),
    .target(name: "Training", dependencies: ["FCN", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO"]),
    // The command line; its product keeps the name users type, `fcn`.
    .executableTarget(
      name: "FCNCommandLine",
      dependencies: [
        "Training", "CompiledInference", "FCN", "NN", "SeededRandom", "Tensor", "SegData", "SegMetrics", "WeightIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // What the test targets share (seeded test data, comparisons).
    .target(name: "TestSupport", dependencies: ["SeededRandom"], path: "Tests/TestSupport"),
    .testTarget(name: "TensorTests", dependencies: ["CDNNL", "Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["CDNNL", "NN", "SeededRandom", "Tensor", "TestSupport", "WeightIO"]),
    .testTarget(name: "FCNTests", dependencies: ["FCN", "NN", "SeededRandom", "Tensor", "WeightIO"]),
    .testTarget(
      name: "CompiledInferenceTests", dependencies: ["CDNNL", "CompiledInference", "FCN", "NN", "SeededRandom", "Tensor", "WeightIO"]),
    .testTarget(name: "WeightIOTests", dependencies: ["SeededRandom", "WeightIO"]),
    .testTarget(name: "SegDataTests", dependencies: ["SeededRandom", "SegData"]),
    .testTarget(name: "SegMetricsTests", dependencies: ["SeededRandom", "SegMetrics", "TestSupport"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: ["FCN", "Training", "NN", "SeededRandom", "Tensor", "SegData", "SegMetrics", "WeightIO"]),
    // Runs the built `fcn` executable as a subprocess; needs the fcn product built first.
    .testTarget(name: "CLITests", dependencies: ["SegData", "SegMetrics", "WeightIO"]),
  ],
  swiftLanguageModes: [.v5]
)
