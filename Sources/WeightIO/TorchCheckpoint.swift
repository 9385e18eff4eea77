import Foundation
import ZIPFoundation

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
    let archive: Archive
    do {
      archive = try Archive(url: url, accessMode: .read)
    } catch {
      throw WeightIOError(file: path, "cannot open as a zip archive: \(error)")
    }
    var entries: [String: Entry] = [:]
    for entry in archive where entries[entry.path] == nil { entries[entry.path] = entry }

    // The pickle sits at <prefix>/data.pkl; the prefix is the file's stem when it was saved,
    // so take the shallowest data.pkl rather than guessing the name.
    let pickles = entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
    guard let picklePath = pickles.min(by: { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) })
    else {
      if entries.keys.contains(where: { $0.hasSuffix("constants.pkl") || $0.contains("/code/") }) {
        throw WeightIOError(
          file: path, "this is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead")
      }
      throw WeightIOError(file: path, "zip archive has no data.pkl: not a torch.save checkpoint")
    }
    let prefix = String(picklePath.dropLast("data.pkl".count))

    if let byteorderEntry = entries[prefix + "byteorder"] {
      let order = String(decoding: try read(byteorderEntry, of: archive, path: path), as: UTF8.self)
      guard order.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
        throw WeightIOError(file: path, key: prefix + "byteorder", "byte order '\(order)' is not supported (only little-endian)")
      }
    }

    guard let pickleEntry = entries[picklePath] else {
      throw WeightIOError(file: path, key: picklePath, "entry vanished")
    }
    let pickleBytes = try read(pickleEntry, of: archive, path: path)
    return try unpickle(pickleBytes, source: path, pickleName: picklePath) { key in
      let entryPath = prefix + "data/" + key
      guard let entry = entries[entryPath] else {
        throw WeightIOError(file: path, key: entryPath, "storage entry is missing from the archive")
      }
      return try read(entry, of: archive, path: path)
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
    throw WeightIOError(file: url.path, "not a PyTorch checkpoint (neither a zip archive nor the legacy torch.save format)")
  }

  /// The bytes of one zip entry, verified against its CRC-32. The declared size comes from the
  /// file, so the copy is capped by it and a lying entry is an error rather than unbounded memory.
  static func read(_ entry: Entry, of archive: Archive, path: String) throws -> [UInt8] {
    let declared = entry.uncompressedSize
    var bytes: [UInt8] = []
    bytes.reserveCapacity(Int(min(declared, 1 << 30)))
    do {
      // ZIPFoundation's checksum is slow on Linux and only returned, not compared: skip it
      // and verify with our own below.
      _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: true) { chunk in
        guard UInt64(bytes.count) + UInt64(chunk.count) <= declared else {
          throw WeightIOError(file: path, key: entry.path, "entry holds more bytes than its declared \(declared)")
        }
        bytes.append(contentsOf: chunk)
      }
    } catch let error as WeightIOError {
      throw error
    } catch {
      throw WeightIOError(file: path, key: entry.path, "cannot read zip entry: \(error)")
    }
    guard UInt64(bytes.count) == declared else {
      throw WeightIOError(file: path, key: entry.path, "entry is truncated: \(bytes.count) of \(declared) bytes")
    }
    let checksum = CRC32Checksum.checksum(bytes)
    guard checksum == entry.checksum else {
      throw WeightIOError(
        file: path, key: entry.path,
        "checksum mismatch (CRC-32 \(String(checksum, radix: 16)), the zip directory says \(String(entry.checksum, radix: 16))): the file is corrupted")
    }
    return bytes
  }
}
