// SPDX-License-Identifier: EUPL-1.2

/// Test helpers shared by the test targets.

/// A small deterministic generator (SplitMix64), so a failing mutation can be replayed from its seed.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// 1–4 mutations of a valid input: bit flips, truncation, insertion, a structural byte, duplication of a slice.
public func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
    var b = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        guard !b.isEmpty else { return [UInt8.random(in: 0...255, using: &rng)] }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: b = Array(b[..<i])
        case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
        case 3: b[i] = [0x00, 0x7F, 0x80, 0xFF, 0x22, 0x5B, 0x7B, 0x2C][Int.random(in: 0..<8, using: &rng)]
        default: b.insert(contentsOf: b[i..<min(b.count, i + 8)], at: i)
        }
    }
    return b
}
