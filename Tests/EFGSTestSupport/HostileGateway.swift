// SPDX-License-Identifier: EUPL-1.2

import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A hostile (or compromised) gateway for client tests: every GET answers 200 with an empty protobuf batch and the
/// `batchTag` and `nextBatchTag` headers `headers(requestedTag)` gives (`requestedTag`: the request's `batchTag`
/// header, nil for the day's first batch). Served on a free loopback port for the length of `body`.
public func withHostileGateway<T: Sendable>(
    headers: @escaping @Sendable (_ requestedTag: String?) -> (batchTag: String, nextBatchTag: String),
    _ body: @escaping @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "efgs.test.hostile")
    logger.logLevel = .critical
    let router = Router()
    router.get("**") { request, _ -> Response in
        let answer = headers(request.headers[HTTPField.Name("batchTag")!])
        var fields = HTTPFields()
        fields[.contentType] = "application/protobuf;version=1.0"
        fields[HTTPField.Name("batchTag")!] = answer.batchTag
        fields[HTTPField.Name("nextBatchTag")!] = answer.nextBatchTag
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer()))
    }
    return try await serving(try await startOnLoopback(router, logger: logger), body)
}
