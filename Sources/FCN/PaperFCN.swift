import NN
import SeededRandom

/// What a head builder hands to the model: the graph and the layers weight import needs.
struct BuiltNetwork {
  var nodes: [GraphNode]
  var crops: [CropExplanation]
  var vgg: VGGLayers
  var fc6: Conv2D
  var fc7: Conv2D
  /// Every layer with weights, in state_dict order; nil = the graph's layers in graph order.
  /// (The course class registers modules its forward does not use, e.g. FCN-32's pool4_conv,
  /// and they are in its state_dict, so the course nets own them too.)
  var modules: [Module]? = nil
}

/// The paper's FCN-32s/16s/8s (and 8s at-once) with the common PyTorch port's names, or with
/// the compact head (1×1 fc6, input padded to /32, padded deconvs).
///
/// Paper head geometry: conv1_1's padding of 100 makes pool5 at least 7×7 for any input of one
/// pixel or more, so the 7×7 fc6 always has a valid position; the extra border is removed again
/// by the crops, whose offsets follow from the coordinate maps (19; 5, 27; 5, 9, 31 for VGG16).
func buildPaperFCN(_ config: ModelConfig, randomInit: Bool = true) throws -> BuiltNetwork {
  let he: Initializer = randomInit ? .he : .zeros
  var rng = Xoshiro256(seed: config.seed)
  let paper = config.head == .paper
  let k = config.classes
  let b = GraphBuilder(inputChannels: config.inputChannels)
  if !paper { b.add("data_padded", PadToMultiple(32)) }
  let vgg = try buildVGG(
    b, config: config, naming: .paper, firstPadding: paper ? 100 : 1, poolCeilMode: true, initializer: he, rng: &rng)
  let c5 = config.blockChannels(4)
  let fc6 = try Conv2D("fc6", in: c5, out: config.fc, kernel: paper ? 7 : 1, fuseReLU: true, initializer: he, rng: &rng)
  b.add("fc6", fc6)
  b.add("drop6", Dropout2D(p: 0.5, seed: config.seed &+ 6))
  let fc7 = try Conv2D("fc7", in: config.fc, out: config.fc, kernel: 1, fuseReLU: true, initializer: he, rng: &rng)
  b.add("fc7", fc7)
  b.add("drop7", Dropout2D(p: 0.5, seed: config.seed &+ 7))
  let scoreFr = try Conv2D("score_fr", in: config.fc, out: k, kernel: 1, initializer: .zeros, rng: &rng)
  b.add("score_fr", scoreFr)

  /// A k = 2s deconvolution; the compact head pads it by s/2 so its output lines up exactly.
  func upsample(_ name: String, factor s: Int) throws -> ConvTranspose2D {
    try ConvTranspose2D(
      name, in: k, out: k, kernel: 2 * s, stride: s, padding: paper ? 0 : s / 2, bias: false, initializer: .bilinear,
      trainable: !config.frozenUpsampling, rng: &rng)
  }
  let finalReason =
    paper
    ? "conv1_1's padding of 100 shifts every map; cropping removes that border so logits line up with the input pixels"
    : "the input was zero-padded at the bottom/right to a multiple of 32; the crop keeps the input's own pixels"

  switch config.outputStride {
  case 32:
    b.add("upscore", try upsample("upscore", factor: 32), from: "score_fr")
    try b.crop("score", "upscore", like: "data", because: finalReason)
  case 16:
    b.add("upscore2", try upsample("upscore2", factor: 2), from: "score_fr")
    try scoreSkip(
      b, pool: vgg.pools[3], level: 4, scaleBy: nil, config: config, rng: &rng, like: "upscore2", paper: paper)
    try b.sum("fuse_pool4", "upscore2", "score_pool4c")
    b.add("upscore16", try upsample("upscore16", factor: 16), from: "fuse_pool4")
    try b.crop("score", "upscore16", like: "data", because: finalReason)
  default:
    b.add("upscore2", try upsample("upscore2", factor: 2), from: "score_fr")
    try scoreSkip(
      b, pool: vgg.pools[3], level: 4, scaleBy: config.atOnce ? 0.01 : nil, config: config, rng: &rng, like: "upscore2",
      paper: paper)
    try b.sum("fuse_pool4", "upscore2", "score_pool4c")
    b.add("upscore_pool4", try upsample("upscore_pool4", factor: 2), from: "fuse_pool4")
    try scoreSkip(
      b, pool: vgg.pools[2], level: 3, scaleBy: config.atOnce ? 0.0001 : nil, config: config, rng: &rng,
      like: "upscore_pool4",
      paper: paper)
    try b.sum("fuse_pool3", "upscore_pool4", "score_pool3c")
    b.add("upscore8", try upsample("upscore8", factor: 8), from: "fuse_pool3")
    try b.crop("score", "upscore8", like: "data", because: finalReason)
  }
  return BuiltNetwork(nodes: b.nodes, crops: b.crops, vgg: vgg, fc6: fc6, fc7: fc7)
}

/// score_poolN (1×1, zero-initialised) on poolN, optionally pre-scaled (at-once), cropped to the
/// upsampled coarser score it is added to.
private func scoreSkip(
  _ b: GraphBuilder, pool: String, level: Int, scaleBy: Float?, config: ModelConfig, rng: inout Xoshiro256,
  like ref: String,
  paper: Bool
) throws {
  var input = pool
  if let s = scaleBy { input = b.add("scale_pool\(level)", Scale(s), from: pool) }
  let conv = try Conv2D(
    "score_pool\(level)", in: config.blockChannels(level - 1), out: config.classes, kernel: 1, initializer: .zeros,
    rng: &rng)
  b.add("score_pool\(level)", conv, from: input)
  let why =
    paper
    ? "pool\(level) still carries conv1_1's 100-px border, the upsampled coarse score less of it; skipping those cells aligns the two"
    : "with padded deconvolutions both maps already start at the same pixel, so nothing is skipped"
  try b.crop("score_pool\(level)c", "score_pool\(level)", like: ref, because: why)
}
