import NN
import SeededRandom

/// How layers are named in the state_dict.
enum LayerNaming {
  /// The common PyTorch port of the paper's nets: conv1_1 … conv5_3 (bn1_1 … for -bn backbones).
  case paper
  /// The course class: one nn.Sequential per block, conv1.0 (conv), conv1.1 (BN), conv1.2 (ReLU) …
  case course
}

/// The backbone's layers in order, kept for weight import (torchvision's `features.N` counts
/// them the same way).
struct VGGLayers {
  var convs: [Conv2D] = []
  /// BatchNorm after each conv, nil for the plain backbones.
  var norms: [BatchNorm2D?] = []
  /// Output node of each of the five pools.
  var pools: [String] = []
}

/// Appends the five VGG blocks (convolutions, optional BatchNorm, ReLU, 2×2 max pool) to `b`.
/// Without BatchNorm the ReLU is fused into the convolution as a oneDNN post-op.
func buildVGG(
  _ b: GraphBuilder, config: ModelConfig, naming: LayerNaming, firstPadding: Int, poolCeilMode: Bool,
  initializer: Initializer, rng: inout Xoshiro256
) throws -> VGGLayers {
  var layers = VGGLayers()
  var inChannels = config.inputChannels
  let bn = config.backbone.batchNorm
  for (block, count) in config.backbone.convsPerBlock.enumerated() {
    let out = config.blockChannels(block)
    var seq = 0  // index inside the course net's nn.Sequential
    for j in 0..<count {
      let (convName, bnName, reluName): (String, String, String)
      switch naming {
      case .paper:
        convName = "conv\(block + 1)_\(j + 1)"
        bnName = "bn\(block + 1)_\(j + 1)"
        reluName = "relu\(block + 1)_\(j + 1)"
      case .course:
        convName = "conv\(block + 1).\(seq)"
        bnName = "conv\(block + 1).\(seq + 1)"
        reluName = "conv\(block + 1).\(seq + (bn ? 2 : 1))"
        seq += bn ? 3 : 2
      }
      let conv = try Conv2D(
        convName, in: inChannels, out: out, kernel: 3, padding: block == 0 && j == 0 ? firstPadding : 1,
        fuseReLU: !bn, initializer: initializer, rng: &rng)
      b.add(convName, conv)
      layers.convs.append(conv)
      if bn {
        let norm = try BatchNorm2D(bnName, channels: out, momentum: 0.1, eps: 1e-5)
        // The convolution above is its input's only reader, the ReLU below its output's.
        norm.readsInputAlone = true
        norm.fusesFollowingReLU = true
        b.add(bnName, norm)
        b.add(reluName, ReLUInPlace())
        layers.norms.append(norm)
      } else {
        layers.norms.append(nil)
      }
      inChannels = out
    }
    let poolName = naming == .paper ? "pool\(block + 1)" : "conv\(block + 1).\(seq)"
    b.add(poolName, MaxPool2D(kernel: 2, stride: 2, ceilMode: poolCeilMode))
    layers.pools.append(poolName)
  }
  return layers
}
