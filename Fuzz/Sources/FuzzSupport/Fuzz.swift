// SPDX-License-Identifier: EUPL-1.2

import CLibFuzzer
import Foundation

/// What every fuzz target shares: handing control to libFuzzer, and turning its input into bytes or text.
///
/// A target is an executable module built with `-sanitize=fuzzer,address -parse-as-library`. SwiftPM links an
/// executable's `main` to `<module>_main`, so each target defines that symbol with `@_cdecl` and calls
/// ``run(_:_:_:)``, and defines `LLVMFuzzerTestOneInput` (libFuzzer's own `main` refers to it).
public enum Fuzz {
    /// The signature of `LLVMFuzzerTestOneInput`.
    public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Runs libFuzzer with the process's command line over `testOneInput`; returns its exit code.
    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ testOneInput: TestOneInput
    ) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
    }

    /// The input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input as text, invalid UTF-8 repaired (an HTTP header or a file always reaches the parser as a String).
    public static func text(_ data: UnsafePointer<UInt8>?, _ size: Int) -> String {
        String(decoding: bytes(data, size), as: UTF8.self)
    }

    /// The input cut at its first `separator` byte into two texts (the second empty when there is none).
    public static func texts(_ data: UnsafePointer<UInt8>?, _ size: Int, separator: UInt8 = 0x0A) -> (String, String) {
        let b = bytes(data, size)
        guard let cut = b.firstIndex(of: separator) else { return (String(decoding: b, as: UTF8.self), "") }
        return (String(decoding: b[..<cut], as: UTF8.self), String(decoding: b[(cut + 1)...], as: UTF8.self))
    }

    /// Stops the process with `message` so libFuzzer records the input as a crash: a broken invariant, not a
    /// refusal.
    public static func fail(_ message: String) -> Never {
        fatalError("fuzz invariant: \(message)")
    }

    /// Runs an async operation to completion from libFuzzer's synchronous callback.
    public static func wait<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await operation()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// The result handed from the task to the waiting libFuzzer thread (the semaphore orders the accesses).
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
