import NN

/// A node of the network graph with what is known about it without an input size.
public struct GraphNode {
  public let name: String
  public let op: any GraphOp
  public let inputs: [String]
  public let placement: Placement
  public var channels: Int { placement.channels }
  /// Where its cells sit in input pixels.
  public var coords: CoordMap { placement.coords }
  public var receptive: Receptive { placement.receptive }
}

/// Why a crop has the offset it has (for `fcn info` and the tests).
public struct CropExplanation: Equatable, Sendable {
  public let node: String
  public let source: String
  public let reference: String
  public let offset: Int
  /// Two lines: the arithmetic, then the reason in plain words.
  public let reason: [String]
}

/// Builds a graph node by node, propagating channels and coordinate maps so that every crop
/// offset is computed, never typed in.
final class GraphBuilder {
  private(set) var nodes: [GraphNode] = []
  private var index: [String: Int] = [:]
  private(set) var crops: [CropExplanation] = []
  /// The most recently added node: the default input of the next one.
  private(set) var last = "data"

  init(inputChannels: Int) {
    append(
      GraphNode(
        name: "data", op: ImageInput(), inputs: [],
        placement: Placement(channels: inputChannels, coords: .identity, receptive: .pixel)))
  }

  func node(_ name: String) -> GraphNode { nodes[index[name]!] }

  private func append(_ n: GraphNode) {
    precondition(index[n.name] == nil, "duplicate graph node \(n.name)")
    index[n.name] = nodes.count
    nodes.append(n)
    last = n.name
  }

  /// Adds a single-input node; channels, coordinates and receptive field follow from the op.
  @discardableResult
  func add(_ name: String, _ op: any GraphOp, from input: String? = nil) -> String {
    let src = node(input ?? last)
    append(GraphNode(name: name, op: op, inputs: [src.name], placement: op.placement(after: src.placement)))
    return name
  }

  /// a + b; their coordinate maps must agree (else the sum would mix misaligned pixels).
  @discardableResult
  func sum(_ name: String, _ a: String, _ b: String) throws -> String {
    let na = node(a)
    let nb = node(b)
    guard na.coords == nb.coords, na.channels == nb.channels else {
      throw FCNError.geometry(
        "\(name): cannot add \(a) (\(na.channels) channels, stride \(na.coords.stride), offset \(na.coords.offset)) and \(b) (\(nb.channels) channels, stride \(nb.coords.stride), offset \(nb.coords.offset))"
      )
    }
    let rf = Receptive(jump: na.receptive.jump, field: max(na.receptive.field, nb.receptive.field))
    append(
      GraphNode(
        name: name, op: Sum(), inputs: [a, b],
        placement: Placement(channels: na.channels, coords: na.coords, receptive: rf)))
    return name
  }

  /// Crops `x` to the size of `reference` at the offset that aligns their pixels.
  @discardableResult
  func crop(_ name: String, _ x: String, like reference: String, because why: String) throws -> String {
    let nx = node(x)
    let nr = node(reference)
    guard let offset = nx.coords.cropOffset(toAlignWith: nr.coords), offset >= 0 else {
      throw FCNError.geometry(
        "\(name): \(x) (stride \(nx.coords.stride), offset \(nx.coords.offset)) cannot be cropped to align with \(reference) (stride \(nr.coords.stride), offset \(nr.coords.offset))"
      )
    }
    let arithmetic =
      "\(x) cell 0 sits at image px \(num(nx.coords.offset)), \(reference) cell 0 at \(num(nr.coords.offset)); "
      + "both have stride \(num(nx.coords.stride)): (\(num(nr.coords.offset)) − (\(num(nx.coords.offset)))) / \(num(nx.coords.stride)) = \(offset)"
    crops.append(
      CropExplanation(node: name, source: x, reference: reference, offset: offset, reason: [arithmetic, why]))
    append(
      GraphNode(
        name: name, op: AlignCrop(offset: offset), inputs: [x, reference],
        placement: Placement(channels: nx.channels, coords: nr.coords, receptive: nx.receptive)))
    return name
  }
}

/// 12.5 → "12.5", 5.0 → "5".
func num(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
