/// When `fcn bench --mode train` applies SGD: per parameter during backward, or after it.
enum WeightUpdateTiming: String, CaseIterable, Sendable {
  case immediate
  case afterBackward = "after-backward"
}
