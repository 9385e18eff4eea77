// SeededRandom: the project's one source of pseudo-random numbers (data order, augmentation,
// weight initialisation, dropout, test data). Nothing here uses SystemRandomNumberGenerator or
// the standard library's random(in:) helpers: the same seed must give the same numbers on every
// run, machine and Swift version, and generator states go into checkpoints for exact resume.
//
// Owns: SplitMix64 (data), Xoshiro256 (weights, dropout), Box–Muller normals (Normal.swift).
// Imports nothing of the project.

