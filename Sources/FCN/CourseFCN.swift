import NN
import SeededRandom

/// The course's FCN class (shared/reference/seed_fcn.py) with its exact module names: VGG19-BN
/// blocks `conv1` … `conv5` (nn.Sequential: conv, BN, ReLU, …, pool), 1×1 fc6/fc7 with ReLU and
/// Dropout2d(0.5), `score`, `pool4_conv`, `pool3_conv`, `upsample32/16/8` and one
/// `upsample_double` used for both 2× steps of FCN-8 (the original's quirk, kept so its
/// state_dict loads and gives the same logits).
///
/// Unlike the original it takes any input size: the input is zero-padded at the bottom/right to
/// a multiple of 32 and the logits are cropped back, which equals running the Python class on
/// the padded input (the original fails otherwise, e.g. 250×250 gives 15 vs 14 at the pool4 skip:
/// floor pooling makes pool4 15×15 but pool5 7×7, doubled to 14×14).
func buildCourseFCN(_ config: ModelConfig, randomInit: Bool = true) throws -> BuiltNetwork {
  let initial: Initializer = randomInit ? .pytorchDefault : .zeros
  var rng = Xoshiro256(seed: config.seed)
  let k = config.classes
  let b = GraphBuilder(inputChannels: config.inputChannels)
  b.add("data_padded", PadToMultiple(32))
  let vgg = try buildVGG(
    b, config: config, naming: .course, firstPadding: 1, poolCeilMode: false, initializer: initial, rng: &rng)
  let fc6 = try Conv2D(
    "fc6", in: config.blockChannels(4), out: config.fc, kernel: 1, fuseReLU: true, initializer: initial, rng: &rng)
  b.add("fc6", fc6)
  b.add("drop6", Dropout2D(p: 0.5, seed: config.seed &+ 6))
  let fc7 = try Conv2D("fc7", in: config.fc, out: config.fc, kernel: 1, fuseReLU: true, initializer: initial, rng: &rng)
  b.add("fc7", fc7)
  b.add("drop7", Dropout2D(p: 0.5, seed: config.seed &+ 7))
  let score = try Conv2D("score", in: config.fc, out: k, kernel: 1, initializer: initial, rng: &rng)
  b.add("score", score)

  // Module creation order of the Python class (matters only for the random initial values).
  func deconv(_ name: String, _ s: Int) throws -> ConvTranspose2D {
    try ConvTranspose2D(
      name, in: k, out: k, kernel: 2 * s, stride: s, padding: s / 2, bias: true, initializer: initial,
      trainable: !config.frozenUpsampling, rng: &rng)
  }
  let upsample32 = try deconv("upsample32", 32)
  let pool4Conv = try Conv2D(
    "pool4_conv", in: config.blockChannels(3), out: k, kernel: 1, initializer: initial, rng: &rng)
  let upsample16 = try deconv("upsample16", 16)
  let pool3Conv = try Conv2D(
    "pool3_conv", in: config.blockChannels(2), out: k, kernel: 1, initializer: initial, rng: &rng)
  let upsample8 = try deconv("upsample8", 8)
  let upsampleDouble = try deconv("upsample_double", 2)

  let why = "the input was zero-padded at the bottom/right to a multiple of 32; the crop keeps the input's own pixels"
  let skipWhy = "padded deconvolutions keep both maps on the same pixels, so the course code adds them directly"
  switch config.outputStride {
  case 32:
    b.add("upsample32", upsample32, from: "score")
    try b.crop("output", "upsample32", like: "data", because: why)
  case 16:
    b.add("pool4_conv", pool4Conv, from: vgg.pools[3])
    b.add("upsample_double", upsampleDouble, from: "score")
    try b.crop("pool4_conv_c", "pool4_conv", like: "upsample_double", because: skipWhy)
    try b.sum("fuse_pool4", "upsample_double", "pool4_conv_c")
    b.add("upsample16", upsample16, from: "fuse_pool4")
    try b.crop("output", "upsample16", like: "data", because: why)
  default:
    b.add("pool3_conv", pool3Conv, from: vgg.pools[2])
    b.add("pool4_conv", pool4Conv, from: vgg.pools[3])
    b.add("upsample_double", upsampleDouble, from: "score")
    try b.crop("pool4_conv_c", "pool4_conv", like: "upsample_double", because: skipWhy)
    try b.sum("fuse_pool4", "upsample_double", "pool4_conv_c")
    b.add("upsample_double_2", upsampleDouble, from: "fuse_pool4")
    try b.crop("pool3_conv_c", "pool3_conv", like: "upsample_double_2", because: skipWhy)
    try b.sum("fuse_pool3", "upsample_double_2", "pool3_conv_c")
    b.add("upsample8", upsample8, from: "fuse_pool3")
    try b.crop("output", "upsample8", like: "data", because: why)
  }
  var modules: [Module] = []
  for (conv, norm) in zip(vgg.convs, vgg.norms) {
    modules.append(conv)
    if let norm { modules.append(norm) }
  }
  modules += [fc6, fc7, score, upsample32, pool4Conv, upsample16, pool3Conv, upsample8, upsampleDouble] as [Module]
  return BuiltNetwork(nodes: b.nodes, crops: b.crops, vgg: vgg, fc6: fc6, fc7: fc7, modules: modules)
}
