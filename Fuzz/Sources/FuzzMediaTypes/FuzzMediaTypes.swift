// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import FuzzSupport

/// `Content-Type` and `Accept` (PROTOCOL.md §5.1, §5.3, §5.4, §5.5): the media type parser and every decision of
/// the content negotiator, with the input as the header value. A negotiated format must be one the header names.
enum MediaTypesTarget {
    static let negotiator = ContentNegotiator()

    static func test(_ header: String) {
        _ = MediaType.parseContentType(header).map { ($0.essence, $0.version, $0.isExcluded) }
        for entry in MediaType.parseAccept(header) { _ = (entry.essence, entry.version, entry.isExcluded) }
        if case .success(let (format, mediaType)) = negotiator.uploadFormat(contentType: header) {
            _ = negotiator.checkUploadVersion(mediaType, format: format)
        }
        if case .success(let format) = negotiator.downloadFormat(accept: header) {
            let essence = format == .protobuf ? MediaType.protobuf : MediaType.json
            let named = MediaType.parseAccept(header).contains { $0.essence == essence && $0.version != nil }
            if !named { Fuzz.fail("negotiated \(format) for an Accept that does not name it: \(header)") }
        }
        _ = negotiator.acceptsJSON(accept: header)
        _ = try? ProtocolVersion(parsing: header)
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    MediaTypesTarget.test(Fuzz.text(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzMediaTypes_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
