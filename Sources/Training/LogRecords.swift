import Foundation

/// One line of log.jsonl after an optimizer step. JSON has no NaN or infinity: a non-finite
/// value is written as null and the record carries `"nonFinite": true`, so the step that
/// diverged stays in the log instead of being dropped.
public struct StepRecord: Encodable, Equatable {
  public var step: Int
  public var epoch: Int?
  public var loss: Double?
  public var lr: Double?
  public var imagesPerSecond: Double?
  /// A weight that became NaN or infinite (the loss was still finite).
  public var nonFiniteTensor: String?
  /// Data-parallel training: seconds this step waited for the gradient all-reduce.
  public var allreduceSeconds: Double?

  public init(
    step: Int, epoch: Int? = nil, loss: Double? = nil, lr: Double? = nil, imagesPerSecond: Double? = nil,
    nonFiniteTensor: String? = nil, allreduceSeconds: Double? = nil
  ) {
    self.step = step
    self.epoch = epoch
    self.loss = loss
    self.lr = lr
    self.imagesPerSecond = imagesPerSecond
    self.nonFiniteTensor = nonFiniteTensor
    self.allreduceSeconds = allreduceSeconds
  }

  enum CodingKeys: String, CodingKey {
    case step, epoch, loss, lr
    case imagesPerSecond = "img_per_s"
    case nonFiniteTensor, nonFinite
    case allreduceSeconds = "allreduce_wait_s"
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    var nonFinite = nonFiniteTensor != nil
    func number(_ v: Double?, _ key: CodingKeys) throws {
      guard let v else { return }
      if v.isFinite {
        try c.encode(v, forKey: key)
      } else {
        try c.encodeNil(forKey: key)
        nonFinite = true
      }
    }
    try c.encode(step, forKey: .step)
    try c.encodeIfPresent(epoch, forKey: .epoch)
    try number(loss, .loss)
    try number(lr, .lr)
    try number(imagesPerSecond, .imagesPerSecond)
    try c.encodeIfPresent(nonFiniteTensor, forKey: .nonFiniteTensor)
    try number(allreduceSeconds, .allreduceSeconds)
    if nonFinite { try c.encode(true, forKey: .nonFinite) }
  }
}

/// One line of log.jsonl after an evaluation on the validation split.
public struct EvaluationRecord: Codable, Equatable {
  public var step: Int
  public var meanIoU: Double
  public var pixelAccuracy: Double
  public var meanAccuracy: Double
  public var frequencyWeightedIoU: Double
  /// IoU of each class (null where the class is in neither ground truth nor prediction), so the
  /// report can draw every class's curve from the log alone.
  public var perClassIoU: [Double?]? = nil

  enum CodingKeys: String, CodingKey {
    case step
    case meanIoU = "val_miou"
    case perClassIoU = "val_class_iou"
    case pixelAccuracy = "val_pixel_acc"
    case meanAccuracy = "val_mean_acc"
    case
      frequencyWeightedIoU = "val_fwiou"
  }
}
