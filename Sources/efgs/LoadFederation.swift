// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// The simulated countries of `efgs load`, kept in a folder (`efgs load prepare` makes it): `federation.json` names
/// each country's authentication, signing and callback certificates, each as `NAME.pem` and `NAME.key` beside it,
/// and the trust anchor's certificate (`trust-anchor.pem`) when it is known, for checking the audits (§7.4).
struct LoadFederation: Codable, Sendable {
    /// One simulated national backend.
    struct Country: Codable, Sendable {
        /// Its two-letter code, the `C` of its certificates.
        var country: String
        /// File stems of its AUTHENTICATION, SIGNING and CALLBACK certificates.
        var authentication: String
        var signing: String
        var callback: String
    }

    /// The folder format, checked when it is read.
    static let currentFormat = "efgs-load-federation/1"
    /// The manifest's file name.
    static let manifest = "federation.json"
    /// The trust anchor's certificate in the folder (optional).
    static let trustAnchorFile = "trust-anchor.pem"

    var format = Self.currentFormat
    var countries: [Country]

    /// Country codes, in the order `efgs load prepare` takes them: the EU and EEA states and Switzerland first (the
    /// federation of 2020–2023), then other European states. 54 in all.
    static let codes = [
        "DE", "FR", "IT", "ES", "PL", "NL", "BE", "AT", "IE", "DK", "FI", "SE", "PT", "GR", "CZ", "SK", "SI", "HR",
        "HU", "RO", "BG", "LT", "LV", "EE", "CY", "MT", "LU", "NO", "IS", "LI", "CH", "GB", "UA", "RS", "AL", "MK",
        "ME", "BA", "MD", "TR", "GE", "AM", "AZ", "AD", "MC", "SM", "VA", "FO", "GL", "GI", "IM", "JE", "GG", "BY",
    ]

    /// Reads the folder `dir`.
    ///
    /// - Throws: `ValidationError` naming `--federation` when the manifest or a file it names is missing or unreadable.
    static func read(_ dir: String) throws -> LoadFederation {
        let path = dir + "/" + manifest
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--federation: \(path) does not exist; make the folder with `efgs load prepare`")
        }
        let federation: LoadFederation
        do { federation = try JSONDecoder().decode(LoadFederation.self, from: data) } catch {
            throw ValidationError("--federation: \(path) is not a federation manifest: \(error)")
        }
        guard federation.format == currentFormat else {
            throw ValidationError("--federation: \(path) has format \(federation.format), expected \(currentFormat)")
        }
        guard !federation.countries.isEmpty else { throw ValidationError("--federation: \(path) names no country") }
        return federation
    }

    /// The certificate (PEM) and private key (PEM) of file stem `name` in `dir`.
    static func identity(_ dir: String, _ name: String) throws -> (certificatePEM: String, privateKeyPEM: String) {
        (try readText("\(dir)/\(name).pem", "--federation"), try readText("\(dir)/\(name).key", "--federation"))
    }

    /// Makes `count` countries' certificates in `dir` (P-256 keys; the callback certificate is for `localhost` and
    /// 127.0.0.1, where `efgs load run` listens) and writes the manifest; returns the federation and every
    /// certificate with its country and row type, for registration.
    static func create(
        in dir: String, count: Int, trustAnchorPEM: String?
    ) throws -> (LoadFederation, [(CertificateFactory.Issued, String, CertificateType)]) {
        var countries: [Country] = []
        var rows: [(CertificateFactory.Issued, String, CertificateType)] = []
        for code in codes.prefix(count) {
            let lower = code.lowercased()
            let organization = "\(code) National Backend (efgs load)"
            let auth = try CertificateFactory.selfSigned(
                country: code, organization: organization, commonName: "efgs-auth.\(lower).load", key: .p256)
            let signing = try CertificateFactory.selfSigned(
                country: code, organization: organization, commonName: "efgs-sign.\(lower).load", key: .p256)
            let callback = try CertificateFactory.selfSigned(
                country: code, organization: organization, commonName: "localhost", key: .p256,
                dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]])
            let names = ["\(lower)-auth", "\(lower)-signing", "\(lower)-callback"]
            for (issued, name) in zip([auth, signing, callback], names) {
                try issued.certificatePEM.write(toFile: "\(dir)/\(name).pem", atomically: true, encoding: .utf8)
                try issued.privateKeyPEM.write(toFile: "\(dir)/\(name).key", atomically: true, encoding: .utf8)
            }
            countries.append(Country(country: code, authentication: names[0], signing: names[1], callback: names[2]))
            rows += [(auth, code, .authentication), (signing, code, .signing), (callback, code, .callback)]
        }
        let federation = LoadFederation(countries: countries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(federation).write(to: URL(fileURLWithPath: dir + "/" + manifest))
        if let trustAnchorPEM {
            try trustAnchorPEM.write(toFile: dir + "/" + trustAnchorFile, atomically: true, encoding: .utf8)
        }
        return (federation, rows)
    }

    /// A shell script that onboards every certificate of the folder with the operator commands (`efgs cert sign`,
    /// `efgs cert import`), for a gateway whose configuration is not on this machine.
    func onboardingScript() -> String {
        var s = """
            #!/bin/sh
            # Onboards the simulated countries of `efgs load` (made by `efgs load prepare`): run it where the gateway's
            # configuration and the trust anchor's private key are, as the operator:
            #   TA_KEY=/path/to/ta.key CONFIG=/etc/efgs/efgs.yaml sh onboard.sh
            set -eu
            cd "$(dirname "$0")"
            : "${TA_KEY:?set TA_KEY to the trust anchor's private key}" "${CONFIG:?set CONFIG to efgs.yaml}"

            """
        for c in countries {
            for (name, type) in [
                (c.authentication, "AUTHENTICATION"), (c.signing, "SIGNING"), (c.callback, "CALLBACK"),
            ] {
                // the signature first, on its own line: under `set -e` a failed `cert sign` stops the script
                s += "sig=$(efgs cert sign --ta-key \"$TA_KEY\" --pem \(name).pem)\n"
                s += "efgs cert import --config \"$CONFIG\" --type \(type) --country \(c.country) --pem \(name).pem "
                s += "--signature \"$(printf '%s\\n' \"$sig\" | tail -n 1)\"\n"
            }
        }
        return s
    }
}
