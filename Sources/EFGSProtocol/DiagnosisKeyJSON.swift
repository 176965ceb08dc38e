import Foundation

/// Exact JSON text of download responses (PROTOCOL.md §2.2). Generic JSON coders are deliberately not used:
/// the reference's spacing (`"name": value`, no space after `,`) and names must be reproduced byte for byte.
public enum DiagnosisKeyJSONEncoder {
    public static func encode(_ keys: [DiagnosisKey]) -> [UInt8] {
        if keys.isEmpty { return Array("{}".utf8) }
        var out = [UInt8]()
        out.reserveCapacity(keys.count * 260)
        out.append(contentsOf: Array("{\"keys\": [".utf8))
        for (i, key) in keys.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendKey(key, to: &out)
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }

    static func appendKey(_ key: DiagnosisKey, to out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        func field(_ name: String, _ value: String) {
            if !first { out.append(0x2C) }
            first = false
            out.append(0x22); out.append(contentsOf: Array(name.utf8)); out.append(contentsOf: Array("\": ".utf8))
            out.append(contentsOf: Array(value.utf8))
        }
        if !key.keyData.isEmpty { field("keyData", "\"" + Base64.encodeString(key.keyData) + "\"") }
        if key.rollingStartIntervalNumber != 0 { field("rollingStartIntervalNumber", String(key.rollingStartIntervalNumber)) }
        if key.rollingPeriod != 0 { field("rollingPeriod", String(key.rollingPeriod)) }
        if key.transmissionRiskLevel != 0 { field("transmissionRiskLevel", String(key.transmissionRiskLevel)) }
        if !key.visitedCountries.isEmpty {
            field("visitedCountries", "[" + key.visitedCountries.map(jsonString).joined(separator: ",") + "]")
        }
        if !key.origin.isEmpty { field("origin", jsonString(key.origin)) }
        if key.reportType.rawValue != 0 {
            field("reportType", key.reportType.protoName.map(jsonString) ?? String(key.reportType.rawValue))
        }
        if key.daysSinceOnsetOfSymptoms != 0 {
            field("days_since_onset_of_symptoms", String(key.daysSinceOnsetOfSymptoms))
        }
        out.append(0x7D)
    }

    /// JSON string literal with RFC 8259 escaping (`/` is not escaped).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Why a JSON upload body was refused (PROTOCOL.md §2.3).
public enum UploadBodyError: Error, Equatable {
    /// 400 `Failed to read request`.
    case unreadable(String)
    /// 400 `Invalid Base64 in JSON object`.
    case invalidBase64

    public var message: String {
        switch self {
        case .unreadable: return "Failed to read request"
        case .invalidBase64: return "Invalid Base64 in JSON object"
        }
    }
}

/// Lenient-but-exact JSON upload reader (PROTOCOL.md §2.3).
public enum DiagnosisKeyJSONDecoder {
    public static func decode(_ bytes: [UInt8]) throws -> [DiagnosisKey] {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw UploadBodyError.unreadable("not JSON: \(error)") }
        guard case .object(let members) = root else { throw UploadBodyError.unreadable("top level is not an object") }
        var keysValue: JSONValue = .null
        for (name, value) in members where name == "keys" { keysValue = value }
        switch keysValue {
        case .null: return []
        case .array(let items):
            return try items.map { item in
                guard case .object(let fields) = item else { throw UploadBodyError.unreadable("key is not an object") }
                return try decodeKey(fields)
            }
        default: throw UploadBodyError.unreadable("keys is not an array")
        }
    }

    static func decodeKey(_ members: [(String, JSONValue)]) throws -> DiagnosisKey {
        var key = DiagnosisKey()
        for (name, value) in members {
            switch name {
            case "keyData":
                switch value {
                case .null: key.keyData = Data()
                case .string(let s):
                    guard let raw = Base64.decodeStrict(s) else { throw UploadBodyError.invalidBase64 }
                    key.keyData = Data(raw)
                default: throw UploadBodyError.unreadable("keyData")
                }
            case "rollingStartIntervalNumber":
                key.rollingStartIntervalNumber = try UInt32(integer(value, min: 0, max: Int64(UInt32.max)))
            case "rollingPeriod":
                key.rollingPeriod = try UInt32(integer(value, min: 0, max: Int64(UInt32.max)))
            case "transmissionRiskLevel":
                key.transmissionRiskLevel = try Int32(integer(value, min: Int64(Int32.min), max: Int64(Int32.max)))
            case "days_since_onset_of_symptoms", "daysSinceOnsetOfSymptoms":
                key.daysSinceOnsetOfSymptoms = try Int32(integer(value, min: Int64(Int32.min), max: Int64(Int32.max)))
            case "visitedCountries":
                switch value {
                case .null: key.visitedCountries = []
                case .array(let items):
                    key.visitedCountries = try items.map {
                        guard case .string(let s) = $0 else { throw UploadBodyError.unreadable("visitedCountries") }
                        return s
                    }
                default: throw UploadBodyError.unreadable("visitedCountries")
                }
            case "origin":
                switch value {
                case .null: key.origin = ""
                case .string(let s): key.origin = s
                default: throw UploadBodyError.unreadable("origin")
                }
            case "reportType":
                switch value {
                case .null: key.reportType = .unknown
                case .string(let s):
                    guard let t = ReportType(protoName: s) else { throw UploadBodyError.unreadable("reportType") }
                    key.reportType = t
                case .number:
                    let n = try integer(value, min: Int64(Int32.min), max: Int64(Int32.max))
                    key.reportType = ReportType(rawValue: Int(n)) ?? .UNRECOGNIZED(Int(n))
                default: throw UploadBodyError.unreadable("reportType")
                }
            default:
                continue // unknown members are ignored whatever their value
            }
        }
        return key
    }

    /// A JSON number without fraction/exponent, or a string holding a decimal integer, within [min, max].
    /// `null` is absent, i.e. the proto3 default 0.
    static func integer(_ value: JSONValue, min: Int64, max: Int64) throws -> Int64 {
        let text: String
        switch value {
        case .null: return 0
        case .number(let literal): text = literal
        case .string(let s): text = s
        default: throw UploadBodyError.unreadable("not an integer")
        }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int64(text), n >= min, n <= max
        else { throw UploadBodyError.unreadable("integer out of range") }
        return n
    }
}
