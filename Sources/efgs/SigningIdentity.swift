// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// The signing identity of `client sign` / `client upload`.
struct SigningIdentity: ParsableArguments {
    @Option(help: "Signing certificate (PEM), RSA or EC.") var signingCert: String?
    @Option(help: "Its private key (PEM).") var signingKey: String?

    func signer() throws -> BatchSigner? {
        guard let signingCert else { return nil }
        guard let signingKey else { throw ValidationError("--signing-key: required with --signing-cert") }
        do {
            return try BatchSigner(
                certificatePEM: try readText(signingCert, "--signing-cert"),
                privateKeyPEM: try readText(signingKey, "--signing-key"))
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("--signing-cert/--signing-key: \(error)")
        }
    }
}
