import ArgumentParser
import NN
import Training

/// The training options competitors reach for (`fcn train`): a mixed loss, early stopping, step
/// checkpoints and frozen BatchNorm. Recorded in config.json with the other options.
struct CompetitionTrainingArguments: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Loss: weighted terms ce, dice, focal, lovasz, e.g. ce:1,dice:0.5 or ce:1,focal:0.5:gamma=3.",
      discussion:
        "Each term is NAME[:WEIGHT] (weight 1 if left out); focal takes gamma=G (default 2). Dice, focal and Lovász-softmax follow segmentation_models_pytorch (multiclass, from logits): Dice and Lovász count the classes present in the batch (Dice's mean is over all classes, absent ones adding 0), focal is one class against the rest (sigmoid). Every term ignores label 255; --class-weights applies to ce, dice and focal (Lovász has no class weights)."
    ))
  var loss = "ce:1"
  @Option(help: "Stop after N evaluations (--eval-every) without a val mIoU improvement of more than --min-delta.")
  var patience: Int?
  @Option(help: "The smallest val mIoU gain --patience counts as an improvement (0: any gain).")
  var minDelta = 0.0
  @Option(help: "Keep the K newest step checkpoints (checkpoints/step-NNNNNNNN.safetensors) besides best and last.")
  var keepLast = 0
  @Flag(
    help:
      "Freeze BatchNorm: normalise with the running statistics and keep them unchanged while training (scale and shift still learn); for batches of 1-2 images."
  )
  var freezeBn = false

  func apply(to o: inout TrainOptions) throws {
    o.loss = try SegmentationLoss(parsing: loss)
    (o.patience, o.minDelta, o.keepLast, o.freezeBatchNorm) = (patience, minDelta, keepLast, freezeBn)
  }

  /// With --class-weights, says which of the loss's terms it does not change.
  func noteUnweightedTerms(_ loss: SegmentationLoss) {
    let unweighted = loss.termsWithoutClassWeights.map(\.name)
    guard !unweighted.isEmpty else { return }
    print(
      "note: --class-weights does not apply to \(unweighted.joined(separator: ", ")) (no class weights in its definition)"
    )
  }
}
