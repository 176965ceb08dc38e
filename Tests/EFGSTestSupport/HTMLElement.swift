// SPDX-License-Identifier: EUPL-1.2

/// The element of `html` whose `id` is `id`, from its start tag to the first end tag of the same name after it (for
/// `<tr>`, `<svg>`, `<g>`, `<table>`: elements that do not nest in themselves), or "" when there is none.
public func htmlElement(_ html: String, id: String) -> String {
    guard let start = html.range(of: "id=\"\(id)\"") else { return "" }
    let open = html[..<start.lowerBound].lastIndex(of: "<") ?? start.lowerBound
    let tag = html[html.index(after: open)...].prefix { $0.isLetter }
    guard let end = html.range(of: "</\(tag)>", range: start.upperBound..<html.endIndex) else { return "" }
    return String(html[open..<end.upperBound])
}
