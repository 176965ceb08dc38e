// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Lenient-but-exact JSON upload reader (PROTOCOL.md §2.3).
public enum DiagnosisKeyJSONDecoder {
    /// The keys of an upload body: an object whose `keys` member (the last one wins; absent or `null` is no
    /// keys) is an array of key objects. Throws ``UploadBodyError``; ``UploadBodyError/tooManyKeys(limit:)`` as soon
    /// as an array of the top-level object holds more than `maxKeys` elements (the rest is not read), and a parse
    /// error for any other array or object of more than 4096 elements (a key has eight fields).
    public static func decode(_ bytes: [UInt8], maxKeys: Int = .max) throws -> [DiagnosisKey] {
        let root: JSONValue
        do {
            root = try JSONValue.parse(bytes, limits: .init(memberArrayElements: maxKeys, elements: 4096))
        } catch let tooMany as JSONValue.TooManyElements {
            throw UploadBodyError.tooManyKeys(limit: tooMany.limit)
        } catch {
            throw UploadBodyError.unreadable("not JSON: \(error)")
        }
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

    /// One key object; unknown members are ignored, `null` is the proto3 default.
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
                continue  // unknown members are ignored whatever their value
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
