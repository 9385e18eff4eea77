import ArgumentParser
import Foundation
import Training
import WeightIO

/// `fcn convert`: weights between PyTorch .pth and .safetensors, renaming keys on the way.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert weights between .pth and .safetensors (either way), renaming keys.")

  @Argument(help: "Input .pth or .safetensors.") var input: String
  @Argument(help: "Output .safetensors, or .pth (torch.save's zip format: torch.load reads it).") var output: String
  @Option(help: "Rename a key prefix, OLD=NEW (repeatable), e.g. module.=") var rename: [String] = []

  func run() throws {
    let toPyTorch = [".pth", ".pt"].contains { output.lowercased().hasSuffix($0) }
    guard toPyTorch || output.lowercased().hasSuffix(".safetensors") else {
      throw ValidationError("the output must be a .safetensors or .pth file, got '\(output)'")
    }
    let rules = try rename.map { rule -> (String, String) in
      let parts = rule.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw ValidationError("--rename must be OLD=NEW, got '\(rule)'")
      }
      return (String(parts[0]), String(parts[1]))
    }
    let source = try Checkpoint.load(from: URL(fileURLWithPath: input))
    var out = [String: HostArray]()
    for (key, value) in source.model {
      var name = key
      for (old, new) in rules where name.hasPrefix(old) {
        name = new + name.dropFirst(old.count)
        break
      }
      guard out[name] == nil else { throw ValidationError("--rename maps two keys to '\(name)'") }
      out[name] = value
    }
    if toPyTorch {
      // Sorted by name: PyTorch matches keys by name, and a fixed order makes the file reproducible.
      try TorchSave.write(out.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: URL(fileURLWithPath: output))
    } else {
      try SafeTensors.write(out, to: URL(fileURLWithPath: output))
    }
    print("wrote \(out.count) tensors to \(output)")
  }
}
