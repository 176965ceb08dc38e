// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOPosix

/// HTTP basic authentication (RFC 7617) of the admin listener against `admin.user` and `admin.passwordHash`: every
/// path but `/healthz` and `/readyz` (the probes of a load balancer or orchestrator, which show no federation data)
/// answers 401 with a `WWW-Authenticate` challenge unless the request carries the user and password.
///
/// PBKDF2 with hundreds of thousands of rounds is slow on purpose, so it runs on a thread of its own
/// (``passwordCheckPool``), one at a time, and a header value that verified is remembered (by its SHA-256) so a console
/// that reloads every 30 s and a Prometheus scraping every 15 s do not pay it per request; at most ``maxPendingChecks``
/// checks wait or run.
struct AdminAuthentication<Context: RequestContext>: RouterMiddleware {
    /// The thread password checks run on. Not NIO's shared blocking pool: SQLiteNIO runs every statement of the
    /// store there (two threads on two cores), so until 2026-12-03 each check of 0.2–0.5 s, or a peer guessing
    /// passwords one after another, left the database one thread.
    static var passwordCheckPool: NIOThreadPool { adminPasswordCheckPool }

    let user: String
    /// Whether a password matches `admin.passwordHash` (slow on purpose; a test may count or hold the checks).
    let check: @Sendable (String) -> Bool
    let verified = NIOLockedValueBox(Set<[UInt8]>())
    /// Password checks waiting or running.
    let pending = NIOLockedValueBox(0)
    /// One verification at a time: a password-guessing peer gets one core at most.
    let gate = AsyncSerialGate()

    /// Checks `user` and the password against `hash`.
    init(user: String, hash: PasswordHash) {
        self.init(user: user, check: { hash.matches($0) })
    }

    /// Checks `user` and the password with `check`.
    init(user: String, check: @escaping @Sendable (String) -> Bool) {
        self.user = user
        self.check = check
    }

    /// Verified header values remembered.
    static var rememberedLimit: Int { 16 }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" { return try await next(request, context) }
        guard let header = request.headers[.authorization], await isAuthorized(header) else {
            return Response(
                status: .unauthorized,
                headers: [
                    .wwwAuthenticate: "Basic realm=\"efgs admin\", charset=\"UTF-8\"",
                    .contentType: "text/plain; charset=utf-8",
                ],
                body: .init(byteBuffer: ByteBuffer(string: "Unauthorized: admin.user and its password\n")))
        }
        return try await next(request, context)
    }

    /// Password checks waiting or running at most; a request beyond them is refused without a check, so a peer
    /// guessing passwords cannot queue work without bound.
    static var maxPendingChecks: Int { 4 }

    /// Whether `header` carries `user` and the password. The password is checked whatever the user name (a wrong
    /// name costs the same time as a wrong password, so names cannot be told apart).
    func isAuthorized(_ header: String) async -> Bool {
        let digest = Array(SHA256.hash(data: Array(header.utf8)))
        if verified.withLockedValue({ $0.contains(digest) }) { return true }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic", let decoded = Base64.decodeStrict(parts[1]),
            let text = String(validating: decoded, as: UTF8.self), let colon = text.firstIndex(of: ":")
        else { return false }
        let userMatches = text[..<colon] == user
        let password = String(text[text.index(after: colon)...])
        guard
            pending.withLockedValue({ pending in
                guard pending < Self.maxPendingChecks else { return false }
                pending += 1
                return true
            })
        else { return false }
        defer { pending.withLockedValue { $0 -= 1 } }
        let matches =
            (try? await gate.run { try await Self.passwordCheckPool.runIfActive { check(password) } }) ?? false
        guard matches && userMatches else { return false }
        verified.withLockedValue { remembered in
            if remembered.count >= Self.rememberedLimit { remembered.removeAll() }
            remembered.insert(digest)
        }
        return true
    }
}

/// The one thread of ``AdminAuthentication/passwordCheckPool``, started at its first use, for the process's lifetime.
private let adminPasswordCheckPool: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    return pool
}()
