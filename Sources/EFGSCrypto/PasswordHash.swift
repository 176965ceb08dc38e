// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import Foundation
import _CryptoExtras

/// A password stored as a PBKDF2-HMAC-SHA256 hash (RFC 8018 §5.2) in the text form
/// `pbkdf2-sha256$ROUNDS$SALT$HASH` (salt and hash in standard Base64): what `admin.passwordHash` holds, made by
/// `efgs config hash-password`, so the configuration never contains the password itself.
public struct PasswordHash: Sendable, Equatable, CustomStringConvertible {
    /// PBKDF2 iterations (OWASP's 2023 figure for PBKDF2-HMAC-SHA256 is 600 000).
    public let rounds: Int
    /// The random salt.
    public let salt: [UInt8]
    /// The derived key.
    public let hash: [UInt8]

    /// Fewest rounds accepted: swift-crypto's floor for PBKDF2-HMAC-SHA256 (`KDF.Insecure.PBKDF2`, after OWASP).
    public static let minimumRounds = 210_000
    /// Rounds of a new hash.
    public static let defaultRounds = 600_000

    /// Why a text is not a password hash.
    public struct Malformed: Error, CustomStringConvertible, Equatable {
        /// One line for the operator.
        public var description: String
    }

    /// Parses `pbkdf2-sha256$ROUNDS$SALT$HASH`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256" else {
            throw Malformed(description: "not pbkdf2-sha256$ROUNDS$SALT$HASH (make one with efgs config hash-password)")
        }
        guard let rounds = Int(parts[1]), rounds >= Self.minimumRounds, rounds <= 100_000_000 else {
            throw Malformed(description: "rounds must be \(Self.minimumRounds) to 100000000")
        }
        guard let salt = Base64.decodeStrict(parts[2]), salt.count >= 16,
            let hash = Base64.decodeStrict(parts[3]), hash.count == 32
        else { throw Malformed(description: "salt (16 bytes or more) or hash (32 bytes) is not valid Base64") }
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// A new hash of `password` with a fresh 16-byte salt.
    public init(password: String, rounds: Int = PasswordHash.defaultRounds) throws {
        guard rounds >= Self.minimumRounds else {
            throw Malformed(description: "at least \(Self.minimumRounds) rounds")
        }
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        self.rounds = rounds
        self.salt = salt
        self.hash = try Self.derive(password, salt: salt, rounds: rounds)
    }

    /// Whether `password` matches, compared in constant time.
    public func matches(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, rounds: rounds) else { return false }
        return derived.count == hash.count && zip(derived, hash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The text form.
    public var description: String {
        "pbkdf2-sha256$\(rounds)$\(Base64.encodeString(salt))$\(Base64.encodeString(hash))"
    }

    /// PBKDF2-HMAC-SHA256 with 32 bytes of output; the callers enforce ``minimumRounds`` (the known-answer test
    /// runs RFC 7914's one-round vector).
    static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
