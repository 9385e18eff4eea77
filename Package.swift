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
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
  ],
  targets: [
    .systemLibrary(name: "CDNNL", pkgConfig: "dnnl"),
    .systemLibrary(name: "CImageCodecs"),
    .target(name: "Tensor", dependencies: ["CDNNL"]),
    .target(name: "NN", dependencies: ["CDNNL", "Tensor"]),
    .target(name: "WeightIO", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "FCN", dependencies: ["NN", "Tensor", "WeightIO"]),
    .target(name: "SegData", dependencies: ["CImageCodecs"]),
    .target(name: "SegMetrics"),
    .target(name: "Training", dependencies: ["FCN", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO"]),
    // The command line; its product keeps the name users type, `fcn`.
    .executableTarget(
      name: "FCNCommandLine",
      dependencies: [
        "Training", "FCN", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "TensorTests", dependencies: ["CDNNL", "Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["CDNNL", "NN", "Tensor", "WeightIO"]),
    .testTarget(name: "FCNTests", dependencies: ["FCN", "NN", "Tensor", "WeightIO"]),
    .testTarget(
      name: "WeightIOTests",
      dependencies: ["WeightIO", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .testTarget(name: "SegDataTests", dependencies: ["SegData"]),
    .testTarget(name: "SegMetricsTests", dependencies: ["SegMetrics"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO"]),
    // Runs the built `fcn` executable as a subprocess; needs the fcn product built first.
    .testTarget(name: "CLITests", dependencies: ["SegData", "SegMetrics", "WeightIO"]),
  ],
  swiftLanguageModes: [.v5]
)
