import ArgumentParser

@main
struct FCNCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fcn",
    abstract: "Fully Convolutional Networks for semantic segmentation, on the CPU.",
    subcommands: [BenchCommand.self]
  )
}
