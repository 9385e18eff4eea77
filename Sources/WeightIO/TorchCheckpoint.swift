import Foundation

/// Reads PyTorch checkpoints written by `torch.save` without Python: the zip format of
/// PyTorch ≥ 1.6 and the older legacy format (see `TorchLegacyFormat`). The zip holds `<prefix>/data.pkl` (a pickle of the saved object whose tensors refer
/// to storages by persistent id) and one `<prefix>/data/<key>` entry per storage.
///
/// Which tensors `load` returns: the saved object is searched breadth-first (in insertion
/// order) for the first dict with string keys whose values are all tensors — a state dict.
/// So `torch.save(model.state_dict())` gives that state dict, and
/// `torch.save({'model_state_dict': sd, 'optimizer_state_dict': ..., 'epoch': 3})` gives `sd`.
/// `loadFlattened` instead returns every tensor anywhere in the object under a dotted path.
public enum TorchCheckpoint {
  /// The state dict in the checkpoint (see the type's documentation for how it is found).
  public static func load(contentsOf url: URL) throws -> [String: HostArray] {
    var result: [String: HostArray] = [:]
    for (key, array) in try loadOrdered(contentsOf: url) { result[key] = array }
    return result
  }

  /// The state dict in the checkpoint, in the order the checkpoint stores it (module order).
  public static func loadOrdered(contentsOf url: URL) throws -> [(String, HostArray)] {
    let unpickled = try unpickle(url)
    return try unpickled.stateDict()
  }

  /// Every tensor in the checkpoint, keyed by its dotted path from the top-level object
  /// (dict keys and list/tuple indices), e.g. `model_state_dict.0.weight`; depth-first, in order.
  public static func loadFlattened(contentsOf url: URL) throws -> [(String, HostArray)] {
    let unpickled = try unpickle(url)
    return try unpickled.flattened()
  }

  // MARK: - Reading the zip

  static func unpickle(_ url: URL) throws -> UnpickledCheckpoint {
    let path = url.path
    if try !isZip(url) {
      let bytes: [UInt8]
      do {
        bytes = [UInt8](try Data(contentsOf: url))
      } catch {
        throw WeightIOError(file: path, "cannot read file: \(error.localizedDescription)")
      }
      return try TorchLegacyFormat.unpickle(bytes, source: path)
    }
    let archive = try ZipReader(contentsOf: url)
    var entries: [String: ZipReader.Entry] = [:]
    for entry in archive.entries where entries[entry.path] == nil { entries[entry.path] = entry }

    // The pickle sits at <prefix>/data.pkl; the prefix is the file's stem when it was saved,
    // so take the shallowest data.pkl rather than guessing the name.
    let pickles = entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
    guard
      let picklePath = pickles.min(by: { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) })
    else {
      if entries.keys.contains(where: { $0.hasSuffix("constants.pkl") || $0.contains("/code/") }) {
        throw WeightIOError(
          file: path, "this is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead")
      }
      throw WeightIOError(file: path, "zip archive has no data.pkl: not a torch.save checkpoint")
    }
    let prefix = String(picklePath.dropLast("data.pkl".count))

    if let byteorderEntry = entries[prefix + "byteorder"] {
      let order = String(decoding: try archive.contents(of: byteorderEntry), as: UTF8.self)
      guard order.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
        throw WeightIOError(
          file: path, key: prefix + "byteorder", "byte order '\(order)' is not supported (only little-endian)")
      }
    }

    guard let pickleEntry = entries[picklePath] else {
      throw WeightIOError(file: path, key: picklePath, "entry vanished")
    }
    let pickleBytes = try archive.contents(of: pickleEntry)
    return try unpickle(pickleBytes, source: path, pickleName: picklePath) { key in
      let entryPath = prefix + "data/" + key
      guard let entry = entries[entryPath] else {
        throw WeightIOError(file: path, key: entryPath, "storage entry is missing from the archive")
      }
      return try archive.contents(of: entry)
    }
  }

  /// Runs the pickle of a checkpoint; `storageBytes` maps a storage key to its bytes.
  static func unpickle(
    _ pickleBytes: [UInt8], from start: Int = 0, source: String, pickleName: String,
    storageBytes: @escaping (String) throws -> [UInt8]
  ) throws -> UnpickledCheckpoint {
    let callbacks = TorchUnpickling(source: source, storageBytes: storageBytes)
    let (value, heap, finished, _) = try PickleMachine.run(
      pickleBytes, from: start, source: "\(source) (\(pickleName))", callbacks: callbacks)
    return UnpickledCheckpoint(source: source, root: value, heap: heap, externals: finished.externals)
  }

  /// Whether the file is a zip archive (else it may be the legacy format); a clear message
  /// for the formats people confuse with a torch checkpoint.
  private static func isZip(_ url: URL) throws -> Bool {
    guard let handle = try? FileHandle(forReadingFrom: url) else {
      throw WeightIOError(file: url.path, "cannot open file")
    }
    defer { try? handle.close() }
    let magic = [UInt8]((try? handle.read(upToCount: 15)) ?? Data())
    if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) || magic.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return true }
    if TorchLegacyFormat.isLegacy(magic) { return false }
    if magic.count >= 9, magic[8] == UInt8(ascii: "{") {
      throw WeightIOError(file: url.path, "not a PyTorch checkpoint (it looks like .safetensors: use SafeTensors.read)")
    }
    if magic.starts(with: NumPy.magic) {
      throw WeightIOError(file: url.path, "not a PyTorch checkpoint (it is a NumPy .npy file: use NumPy.read)")
    }
    throw WeightIOError(
      file: url.path, "not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format)")
  }
}
