// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The console's plots as inline SVG, drawn on the server: bars for counts, lines with a marker per point for
/// measurements. Each plot carries `data-points` (the number of values drawn) so a test or a reader can check it.
enum SVGPlot {
    /// One bar per value (a zero is a bar of height 0), `width`×`height` pixels, the largest value labelled.
    static func bars(id: String, values: [Int], width: Int = 168, height: Int = 32, title: String) -> String {
        let top = max(values.max() ?? 0, 1)
        let step = Double(width) / Double(max(values.count, 1))
        let rects = values.enumerated().map { i, v in
            let h = Double(v) / Double(top) * Double(height - 2)
            return "<rect class=\"bar\" x=\"\(format(Double(i) * step + 0.5))\" y=\"\(format(Double(height) - h))\" "
                + "width=\"\(format(max(step - 1, 1)))\" height=\"\(format(h))\"><title>\(v)</title></rect>"
        }.joined()
        return "<svg id=\"\(ConsoleHTML.escape(id))\" class=\"plot bars\" data-points=\"\(values.count)\" "
            + "width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
            + "<title>\(ConsoleHTML.escape(title)) (max \(values.max() ?? 0))</title>"
            + "<line class=\"axis\" x1=\"0\" y1=\"\(height)\" x2=\"\(width)\" y2=\"\(height)\"/>\(rects)</svg>"
    }

    /// One line per series over `count` slots; a nil value leaves a gap. Every drawn value gets a `<circle>`, and the
    /// series' `data-points` counts them. The y axis starts at 0 and is labelled with its top in `unit`.
    static func lines(
        id: String, count: Int, series: [(name: String, values: [Double?])], unit: String, width: Int = 900,
        height: Int = 180, firstLabel: String, lastLabel: String
    ) -> String {
        let left = 48.0
        let bottom = Double(height) - 18
        let top = max(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0, 0.001)
        let step = (Double(width) - left - 8) / Double(max(count - 1, 1))
        func x(_ i: Int) -> Double { left + Double(i) * step }
        func y(_ v: Double) -> Double { bottom - v / top * (bottom - 8) }
        var svg =
            "<svg id=\"\(ConsoleHTML.escape(id))\" class=\"plot lines\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" role=\"img\">"
            + "<line class=\"axis\" x1=\"\(format(left))\" y1=\"\(format(bottom))\" x2=\"\(width)\" "
            + "y2=\"\(format(bottom))\"/><line class=\"axis\" x1=\"\(format(left))\" y1=\"8\" x2=\"\(format(left))\" "
            + "y2=\"\(format(bottom))\"/>"
            + "<text x=\"2\" y=\"14\">\(format(top)) \(ConsoleHTML.escape(unit))</text>"
            + "<text x=\"2\" y=\"\(format(bottom))\">0</text>"
            + "<text x=\"\(format(left))\" y=\"\(height - 4)\">\(ConsoleHTML.escape(firstLabel))</text>"
            + "<text x=\"\(width - 90)\" y=\"\(height - 4)\">\(ConsoleHTML.escape(lastLabel))</text>"
        for line in series {
            let points = line.values.enumerated().compactMap { i, v in v.map { (i, $0) } }
            let name = ConsoleHTML.escape(line.name)
            svg += "<g class=\"series \(name)\" data-series=\"\(name)\" data-points=\"\(points.count)\">"
            // consecutive values are joined; a gap starts a new polyline
            var run: [(Int, Double)] = []
            func flush() {
                if run.count > 1 {
                    svg +=
                        "<polyline class=\"\(name)\" points=\""
                        + run.map { "\(format(x($0.0))),\(format(y($0.1)))" }.joined(separator: " ") + "\"/>"
                }
                run = []
            }
            for (i, v) in points {
                if let last = run.last, last.0 != i - 1 { flush() }
                run.append((i, v))
            }
            flush()
            for (i, v) in points {
                svg +=
                    "<circle class=\"\(name)\" cx=\"\(format(x(i)))\" cy=\"\(format(y(v)))\" r=\"2\">"
                    + "<title>\(name) \(format(v)) \(ConsoleHTML.escape(unit))</title></circle>"
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    /// At most two decimals, without trailing zeros.
    static func format(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        let whole = Int(hundredths) / 100
        let fraction = abs(Int(hundredths)) % 100
        if fraction == 0 { return String(whole) }
        let sign = value < 0 && whole == 0 ? "-" : ""
        return sign + String(whole) + "." + (fraction < 10 ? "0" : "") + String(fraction).replacing(/0$/, with: "")
    }
}
