// swift-tools-version:6.1
// SPDX-License-Identifier: EUPL-1.2
import PackageDescription

/// Layers, imports pointing one way only:
/// EFGSProtocol → EFGSCrypto → EFGSStore → EFGSGateway → efgs (CLI); EFGSClient uses only protocol + crypto.
let package = Package(
    name: "efgs-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "efgs", targets: ["efgs"]),
        .library(name: "EFGSClient", targets: ["EFGSClient"]),
        // The parsers the fuzz targets in Fuzz/ (a package of its own, depending on this one by path) call.
        .library(name: "EFGSProtocol", targets: ["EFGSProtocol"]),
        .library(name: "EFGSCrypto", targets: ["EFGSCrypto"]),
        .library(name: "EFGSGateway", targets: ["EFGSGateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Wire model, canonical bytes, media types. Pure.
        .target(
            name: "EFGSProtocol",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // CMS verify/sign, thumbprints, DN parsing, row signatures, encryption at rest. Pure.
        .target(
            name: "EFGSCrypto",
            dependencies: [
                "EFGSProtocol",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Schema, migrations, repositories: SQLite (embedded default) and PostgreSQL behind one protocol.
        .target(
            name: "EFGSStore",
            dependencies: [
                "EFGSProtocol",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // HTTP routes, authentication, jobs, logging, configuration.
        .target(
            name: "EFGSGateway",
            dependencies: [
                "EFGSProtocol", "EFGSCrypto", "EFGSStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // National-backend client library: protocol + crypto only.
        .target(
            name: "EFGSClient",
            dependencies: [
                "EFGSProtocol", "EFGSCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "efgs",
            dependencies: [
                "EFGSProtocol", "EFGSCrypto", "EFGSStore", "EFGSGateway", "EFGSClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // the raw SQLite baseline of `efgs benchmark` uses SQLiteNIO's C module (VaporCSQLite)
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Helpers shared by the test targets: the in-process federation (Fixture), sample keys, the database
        // switch (SQLite or PostgreSQL), the in-process server, real TLS callback and syslog servers, input mutation.
        .target(
            name: "EFGSTestSupport",
            dependencies: [
                "EFGSProtocol", "EFGSCrypto", "EFGSStore", "EFGSGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/EFGSTestSupport"),
        .testTarget(name: "EFGSProtocolTests", dependencies: ["EFGSProtocol", "EFGSTestSupport"]),
        .testTarget(
            name: "EFGSCryptoTests",
            dependencies: [
                "EFGSCrypto", "EFGSProtocol", "EFGSTestSupport", .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "EFGSStoreTests",
            dependencies: [
                "EFGSStore", "EFGSProtocol", "EFGSTestSupport", .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .testTarget(
            name: "EFGSGatewayTests",
            dependencies: [
                "EFGSGateway", "EFGSStore", "EFGSCrypto", "EFGSProtocol", "EFGSTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "EFGSClientTests",
            dependencies: ["EFGSClient", "EFGSGateway", "EFGSCrypto", "EFGSProtocol", "EFGSTestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["EFGSClient", "EFGSCrypto", "EFGSProtocol", "EFGSTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// Swift 6 language mode for every target, and existential types spelled `any` everywhere.
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("ExistentialAny")]
}
