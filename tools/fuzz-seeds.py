#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
"""Writes the seed corpora of the fuzz targets (Fuzz/Corpus/<target>/) from the committed test vectors and the
inputs the unit tests use: CMS vectors (Tests/EFGSCryptoTests/Vectors, Base64-decoded), the protobuf and JSON
bodies of Tests/EFGSProtocolTests, the PEM and PKCS#12 files, the header values of the authentication, negotiation
and callback URL tests, and the sample configuration. Run from anywhere; it replaces the folders' seed_* files.

  python3 tools/fuzz-seeds.py
"""
import base64
import pathlib
import re
import urllib.parse

root = pathlib.Path(__file__).resolve().parent.parent
vectors = root / "Tests/EFGSCryptoTests/Vectors"
corpus = root / "Fuzz/Corpus"


def write(target, seeds):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("seed_*"):
        old.unlink()
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        (folder / f"seed_{name}").write_bytes(data)


pems = {p.stem: p.read_text() for p in sorted(vectors.glob("*.pem"))}
pems.update({"pkcs12-" + p.stem: p.read_text() for p in sorted((vectors / "pkcs12").glob("*.pem"))})


def der_of(pem):
    body = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S).group(1)
    return base64.b64decode("".join(body.split()))


# CMS: the ContentInfo of every vector, accepted and rejected ones.
write("FuzzCMSSignature", {p.stem: base64.b64decode(p.read_text().strip()) for p in sorted(vectors.glob("*.b64"))})

# Protobuf: the §2.1 vectors, an empty batch, unknown field and enum value (ProtobufVectorTests).
v1 = bytes.fromhex("0a2c0a100e0f0b0e0c0f0f100e0f0b0e0c0f0f101002180120032a0244452a0246522a02504c3202444538024054")
v2 = bytes.fromhex("0a2e0a0331323310ffffffff0f18ffffffff0f20eaffffffffffffffff012a02554b2a024e4c2a024652320244453801")
unknown_key = bytes.fromhex(
    "0a100e0f0b0e0c0f0f100e0f0b0e0c0f0f101002180120032a0244452a0246522a02504c32024445380940544801")
write("FuzzProtobufBatch", {
    "v1": v1, "v2-edge": v2, "both": v1 + v2, "empty": b"",
    "unknown-field": bytes([0x0A, len(unknown_key)]) + unknown_key,
})

# JSON: §2.4's exact output and the decoder's accepted and refused shapes (JSONTests).
exact = (
    '{"keys": [{"keyData": "Dg8LDgwPDxAODwsODA8PEA==","rollingStartIntervalNumber": 2,'
    '"rollingPeriod": 1,"transmissionRiskLevel": 3,"visitedCountries": ["DE","FR","PL"],"origin": "DE",'
    '"reportType": "CONFIRMED_CLINICAL_DIAGNOSIS","days_since_onset_of_symptoms": 42},'
    '{"keyData": "AAECAwQFBgcICQoLDA0ODw==","rollingStartIntervalNumber": 2743200,"rollingPeriod": 144,'
    '"transmissionRiskLevel": 2147483647,"origin": "DE","days_since_onset_of_symptoms": -3}]}')
write("FuzzUploadJSON", {
    "exact": exact,
    "aliases": '{"keys":[{"keyData":"Dg8LDgwPDxAODwsODA8PEA==","reportType":2,"daysSinceOnsetOfSymptoms":42,'
               '"extra":null,"rollingPeriod":"144","origin":null}]}',
    "null-keys": '{"keys":null}', "repeated": '{"keys":[{"rollingPeriod":1,"rollingPeriod":7}]}',
    "float": '{"keys":[{"rollingPeriod":1.0}]}', "bad-enum": '{"keys":[{"reportType":"BOGUS"}]}',
    "unpadded": '{"keys":[{"keyData":"Dg8LDgwPDxAODwsODA8PEA"}]}', "empty": "{}",
    "escapes": '{"keys":[{"origin":"\\u0044\\u0045","visitedCountries":["F\\u0052"]}]}',
})

# Mode a: "<thumbprint header>\n<DN header>" (ThumbprintAndDNTests).
thumbprints = [
    "00BEBC5BE79D19E1B8B3F250DC39AEBFA9A054BAF5F8D61380438D92394C476A",
    "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o=", "AL68W%2BedGeG4s%2FJQ3Dmuv6mgVLr1%2BNYTgEONkjlMR2o%3D",
    "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o", "00:BE:BC",
]
dns = [
    "C=DE", "C = DE, O = x", "/C=DE/O=x", "O=Test Firma GmbH,C=DE,U=,TR,TT=43", "CN=a\\,b,C=DE",
    "ST%3dSome-State%2c%20C%3dDE%2c%20O%3dInternet%20Widgits%20Pty%20Ltd", "subject=CN=x, countryName=DE",
    "CN=x+C=DE", 'CN="a,C=FR",C=DE', "C=DE,C=FR", "2.5.4.6=DE;O=x", "C=%FF%FE",
]
write("FuzzModeAHeaders", {f"{i}": f"{thumbprints[i % len(thumbprints)]}\n{dn}" for i, dn in enumerate(dns)})

# Mode b: the certificate as nginx's $ssl_client_escaped_cert writes it, as PEM, and as bare Base64 DER.
write("FuzzCertificateHeader", {
    **{f"{n}-escaped": urllib.parse.quote(p, safe="") for n, p in pems.items()},
    **{f"{n}-bare": base64.b64encode(der_of(p)).decode() for n, p in list(pems.items())[:2]},
    "ec-pem": pems["ec"],
})

# Content-Type and Accept values (NegotiationTests), one per file.
write("FuzzMediaTypes", {f"{i}": v for i, v in enumerate([
    "application/protobuf; version=1.0", "application/protobuf;version=1.0",
    'Application/JSON ; Version = "1.0"', "application/json; charset=utf-8; version=01.00",
    "application/x-protobuf", "application/json; version=1", "application/json; version=1.x",
    "application/json; version=1.1", "text/html, application/json; version=1.0; q=0, application/protobuf;version=1.0",
    "*/*", "text/plain, */*", "application/*;q=0.5, application/json;version=1.0;q=0.000",
])})

# Callback URLs (CallbackURLPolicyTests).
urls = re.findall(r'"((?:https?:)?//[^"]*|https://[^"]*)"', (root / "Tests/EFGSGatewayTests/CallbackURLPolicyTests.swift").read_text())
write("FuzzCallbackURL", {f"{i}": u for i, u in enumerate(sorted(set(urls)))})

# PEM: the vector certificates, canonical and as other producers write them (CRLF, text before, two blocks).
write("FuzzPEM", {
    **pems,
    "crlf": pems["ec"].replace("\n", "\r\n"),
    "text-before": "subject=/C=DE/CN=x\n" + pems["rsa"],
    "two": pems["pkcs12-cert"] + pems["pkcs12-ca"],
})

# PKCS#12: every vector file (tools/vectors/pkcs12.sh; password Vector-Pass-1).
write("FuzzPKCS12", {p.stem: p.read_bytes() for p in sorted((vectors / "pkcs12").glob("*.p12"))})

write("FuzzPercentDecoding", {f"{i}": v for i, v in enumerate([
    "AL68W%2BedGeG4s%2FJQ3Dmuv6mgVLr1%2BNYTgEONkjlMR2o%3D", "https%3A%2F%2Fexample.org%2Fcb+x", "%", "%4", "%zz",
    "%C3%A4%E2%82%AC", "20250101-1", "a+b%2Bc",
])})

# Configuration: the sample, the first-gateway file of the README, and a file with every section.
sample = (root / "efgs.sample.yaml").read_text()
first = re.search(r"cat > efgs.yaml <<YAML\n(.*?)\nYAML", (root / "README.md").read_text(), re.S).group(1)
first = first.replace("$PORT", "8090").replace("$(openssl rand -base64 32)", base64.b64encode(bytes(32)).decode())
write("FuzzConfigYAML", {
    "sample": sample, "first-gateway": first,
    "unknown-key": first + "\nserver: {hots: x}\n", "not-mapping": "- a\n- b\n",
    "anchors": "trustAnchor: &a {certificatePath: ta.pem}\nstorage: {keys: [\"k1:" + base64.b64encode(bytes(32)).decode()
               + "\"], activeKeyId: k1}\nx: *a\n",
})
