// swift-tools-version:6.1
// SPDX-License-Identifier: EUPL-1.2
import PackageDescription

/// The libFuzzer targets of efgs-swift: one executable per parser reachable from outside, each calling the main
/// package's parser (a path dependency) from `LLVMFuzzerTestOneInput`. Build and run them with `tools/fuzz.sh`,
/// which passes `-sanitize=fuzzer,address -parse-as-library`; a plain `swift build` here cannot link them.
let targets: [(name: String, uses: [String])] = [
    ("FuzzCMSSignature", ["EFGSCrypto", "EFGSProtocol"]),
    ("FuzzProtobufBatch", ["EFGSProtocol"]),
    ("FuzzUploadJSON", ["EFGSProtocol"]),
    ("FuzzModeAHeaders", ["EFGSCrypto"]),
    ("FuzzCertificateHeader", ["EFGSCrypto", "EFGSGateway"]),
    ("FuzzMediaTypes", ["EFGSProtocol"]),
    ("FuzzCallbackURL", ["EFGSGateway"]),
    ("FuzzPEM", ["EFGSCrypto"]),
    ("FuzzPKCS12", ["EFGSCrypto"]),
    ("FuzzPercentDecoding", ["EFGSProtocol"]),
    ("FuzzConfigYAML", ["EFGSGateway"]),
]

let package = Package(
    name: "efgs-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "efgs-swift", path: "..")],
    targets: [
        // libFuzzer's `LLVMFuzzerRunDriver`, declared for Swift.
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
    ]
        + targets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzSupport"] + target.uses.map { .product(name: $0, package: "efgs-swift") })
        },
    swiftLanguageModes: [.v6]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("ExistentialAny")]
}
