import ArgumentParser
import FCN
import SegData
import Training

// The choices the command line offers, read straight into their types. Each is a String enum
// that is CaseIterable, so ArgumentParser's defaults parse the raw value and, for anything
// else, exit 2 with a message that names the option and lists the valid values. The
// conformances live here so that only the command line depends on ArgumentParser.

extension ModelName: ExpressibleByArgument {
  /// Any case, and the earlier seed-fcn* names too.
  public init?(argument: String) { try? self.init(parsing: argument) }
}

extension Backbone: ExpressibleByArgument {
  /// Any case, with or without the dash before bn (vgg16bn, VGG16_BN).
  public init?(argument: String) {
    guard let backbone = try? Backbone.parse(argument) else { return nil }
    self = backbone
  }
}

extension Head: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension RecomputeMode: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension BenchPrecision: ExpressibleByArgument {}
extension Normalization: ExpressibleByArgument {}
extension DataSplit: ExpressibleByArgument {}
extension ModelBenchmark.Mode: ExpressibleByArgument {}
extension BenchCommand.Op: ExpressibleByArgument {}
extension WeightUpdateTiming: ExpressibleByArgument {}
