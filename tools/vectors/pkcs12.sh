#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Regenerates the PKCS#12 vectors of `efgs cert import --pkcs12` in Tests/EFGSCryptoTests/Vectors/pkcs12 with two
# independent producers: the OpenSSL CLI (3.x) and Python's `cryptography`. Test-only certificates and keys.
# Each NAME.p12 has NAME.cmd (the command that made it). Output is committed; CI does not rerun this.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/../../Tests/EFGSCryptoTests/Vectors/pkcs12"
mkdir -p "$OUT"; cd "$OUT"
rm -f ./*.p12 ./*.cmd ./*.pem ./*.key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cert.key -out cert.pem -days 3650 -subj "/C=DE/O=EFGS Vector/CN=p12-vector" -sha256 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/C=DE/O=EFGS Vector/CN=p12-vector-ca" -sha256 2>/dev/null
rm -f ca.key
p12() { # NAME then the command
  local name=$1; shift
  echo "$*" > "$name.cmd"
  eval "$*"
}
p12 openssl-default       "openssl pkcs12 -export -nokeys -in cert.pem -out openssl-default.p12 -passout pass:Vector-Pass-1"
p12 openssl-aes128-sha1   "openssl pkcs12 -export -nokeys -in cert.pem -out openssl-aes128-sha1.p12 -passout pass:Vector-Pass-1 -certpbe AES-128-CBC -macalg sha1"
p12 openssl-unencrypted   "openssl pkcs12 -export -nokeys -in cert.pem -out openssl-unencrypted.p12 -passout pass:Vector-Pass-1 -certpbe NONE"
p12 openssl-two-certs     "openssl pkcs12 -export -nokeys -in cert.pem -certfile ca.pem -out openssl-two-certs.p12 -passout pass:Vector-Pass-1"
p12 openssl-unicode-pass  "openssl pkcs12 -export -nokeys -in cert.pem -out openssl-unicode-pass.p12 -passout 'pass:Pässwörd-€'"
p12 openssl-3des          "openssl pkcs12 -export -nokeys -in cert.pem -out openssl-3des.p12 -passout pass:Vector-Pass-1 -certpbe PBE-SHA1-3DES -macalg sha1"
p12 openssl-with-key      "openssl pkcs12 -export -in cert.pem -inkey cert.key -out openssl-with-key.p12 -passout pass:Vector-Pass-1"
p12 python-cryptography   "python3 -c \"from cryptography import x509; from cryptography.hazmat.primitives.serialization import pkcs12, PrivateFormat; from cryptography.hazmat.primitives import hashes; c = x509.load_pem_x509_certificate(open('cert.pem','rb').read()); enc = PrivateFormat.PKCS12.encryption_builder().kdf_rounds(20000).key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(b'Vector-Pass-1'); open('python-cryptography.p12','wb').write(pkcs12.serialize_key_and_certificates(b'p12-vector', None, c, None, enc))\""
rm -f cert.key
