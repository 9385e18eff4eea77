// swift-tools-version:5.9
import PackageDescription

let package = Package(
  name: "swift-fcn",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "fcn", targets: ["fcn"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
  ],
  targets: [
    .systemLibrary(name: "CDNNL", pkgConfig: "dnnl"),
    .systemLibrary(name: "CImageCodecs"),
    .target(name: "Tensor", dependencies: ["CDNNL"]),
    .target(name: "NN", dependencies: ["Tensor"]),
    .target(name: "WeightIO", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "FCN", dependencies: ["NN", "WeightIO"]),
    .target(name: "SegData", dependencies: ["CImageCodecs"]),
    .target(name: "SegMetrics"),
    .target(name: "Training", dependencies: ["FCN", "SegData", "SegMetrics", "WeightIO"]),
    .executableTarget(
      name: "fcn",
      dependencies: [
        "Training", "FCN", "NN", "Tensor", "SegData", "SegMetrics", "WeightIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
    .testTarget(name: "NNTests", dependencies: ["NN", "WeightIO"]),
    .testTarget(name: "FCNTests", dependencies: ["FCN", "WeightIO"]),
    .testTarget(name: "WeightIOTests", dependencies: ["WeightIO"]),
    .testTarget(name: "SegDataTests", dependencies: ["SegData"]),
    .testTarget(name: "SegMetricsTests", dependencies: ["SegMetrics"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "SegData"]),
    // Runs the built `fcn` executable as a subprocess; needs the fcn product built first.
    .testTarget(name: "CLITests", dependencies: ["SegData", "SegMetrics", "WeightIO"]),
  ]
)
