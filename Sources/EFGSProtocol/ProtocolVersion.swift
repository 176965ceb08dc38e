// SPDX-License-Identifier: EUPL-1.2

/// A protocol version `major.minor` (PROTOCOL.md §5.1).
public struct ProtocolVersion: Equatable, Sendable, CustomStringConvertible {
    /// The major part, without leading zeros.
    public var major: String
    /// The minor part, without leading zeros.
    public var minor: String

    /// Why a version parameter was refused (400, with the reference implementation's message).
    public enum ParseError: Error, Equatable {
        /// Not exactly two `.`-separated parts.
        case notMajorMinor
        /// A part is empty or not all decimal digits.
        case notANumber

        /// The 400 message.
        public var message: String {
            switch self {
            case .notMajorMinor: return "Version can just contain a major and minor version splitted by a dot!"
            case .notANumber: return "Given version string has an invalid number format!"
            }
        }
    }

    /// The version `major.minor`.
    public init(major: Int, minor: Int) {
        self.major = String(major)
        self.minor = String(minor)
    }

    /// Exactly two `.`-separated parts, each all decimal digits. Leading zeros are insignificant.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ParseError.notMajorMinor }
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else {
            throw ParseError.notANumber
        }
        major = ProtocolVersion.normalised(parts[0])
        minor = ProtocolVersion.normalised(parts[1])
    }

    /// The digits without leading zeros (`0` for all zeros).
    static func normalised(_ digits: Substring) -> String {
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// `major.minor`.
    public var description: String { "\(major).\(minor)" }
}
