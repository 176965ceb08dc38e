// SPDX-License-Identifier: EUPL-1.2

/// The upload tag a national backend chooses (PROTOCOL.md §5.3 check 4, §7.2): 1–64 characters in 0x21–0x7E.
public enum UploadTag {
    /// True for 1–64 printable ASCII characters without space.
    public static func isValid(_ tag: String) -> Bool {
        let u = tag.utf8
        return !u.isEmpty && u.count <= 64 && u.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
