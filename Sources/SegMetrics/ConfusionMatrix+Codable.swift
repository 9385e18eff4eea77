/// Stored as `{"classes": K, "ignoreIndex": 255 | null, "counts": [K*K, row = ground truth]}`
/// so a run folder can keep the raw matrix (for plots, or to merge shards later). Decoding
/// re-checks the shape instead of trusting the file.
extension ConfusionMatrix: Codable {
  private enum CodingKeys: String, CodingKey { case classes, ignoreIndex, counts }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(classes, forKey: .classes)
    try c.encode(ignoreIndex, forKey: .ignoreIndex)
    try c.encode(counts, forKey: .counts)
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    try self.init(
      classes: try c.decode(Int.self, forKey: .classes),
      ignoreIndex: try c.decodeIfPresent(Int.self, forKey: .ignoreIndex),
      counts: try c.decode([Int64].self, forKey: .counts))
  }
}
