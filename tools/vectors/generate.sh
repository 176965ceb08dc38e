#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Regenerates the CMS test vectors in Tests/EFGSCryptoTests/Vectors from independent producers:
# the OpenSSL CLI, Python's `cryptography` package (with asn1crypto to assemble the shapes of §6.5 cases C, E, F
# and the crafted §6.6 rejections) and BouncyCastle Java (cases A-RSA, A-EC, B, H, PSS, SKI, attached).
# Output is committed; CI does not rerun this.
# Needs: openssl; python3 with cryptography and asn1crypto (pip install cryptography asn1crypto);
# a JDK and Debian's libbcprov-java libbcpkix-java libbcutil-java.
# Each vector NAME has NAME.b64 (the batchSignature header value) and NAME.cmd (the command that made it);
# all sign stream.bin, the §3.3 V1 canonical record (a one-key batch stream).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/../../Tests/EFGSCryptoTests/Vectors"
mkdir -p "$OUT"; cd "$OUT"
rm -f ./*.b64 ./*.cmd ./*.pem ./*.key stream.bin
printf '%s' 'Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.AAAAAw==.REUsRlIsUEw=.REU=.AAAAAg==.AAAAKg==.' > stream.bin

# signer certificates (C=DE, valid 10 years); test-only keys
openssl req -x509 -newkey rsa:3072 -nodes -keyout rsa.key -out rsa.pem -days 3650 -subj "/C=DE/O=Vector RSA/CN=vector-rsa" -sha256 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.pem -days 3650 -subj "/C=DE/O=Vector EC/CN=vector-ec" -sha256 2>/dev/null
openssl req -x509 -newkey rsa:3072 -nodes -keyout other.key -out other.pem -days 3650 -subj "/C=DE/O=Vector Other/CN=vector-other" -sha256 2>/dev/null

sign() { # NAME then openssl cms arguments
  local name=$1; shift
  local cmd="openssl cms -sign -binary -in stream.bin -outform DER $*"
  echo "$cmd" > "$name.cmd"
  eval "$cmd" | base64 -w0 > "$name.b64"
}
sign openssl-rsa-attrs        -md sha256 -signer rsa.pem -inkey rsa.key
sign openssl-rsa-noattr       -md sha256 -signer rsa.pem -inkey rsa.key -noattr
sign openssl-ec-attrs         -md sha256 -signer ec.pem -inkey ec.key
sign openssl-ec-noattr        -md sha256 -signer ec.pem -inkey ec.key -noattr
sign openssl-rsa-pss          -md sha256 -signer rsa.pem -inkey rsa.key -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32
sign openssl-rsa-sha1         -md sha1 -signer rsa.pem -inkey rsa.key
sign openssl-ec-sha1          -md sha1 -signer ec.pem -inkey ec.key
sign openssl-rsa-ski          -md sha256 -signer rsa.pem -inkey rsa.key -keyid
sign openssl-rsa-attached     -md sha256 -signer rsa.pem -inkey rsa.key -nodetach
sign openssl-two-signers      -md sha256 -signer rsa.pem -inkey rsa.key -signer ec.pem -inkey ec.key
sign openssl-nocerts          -md sha256 -signer rsa.pem -inkey rsa.key -nocerts
# EnvelopedData instead of SignedData
echo "openssl cms -encrypt -binary -in stream.bin -outform DER rsa.pem" > openssl-enveloped.cmd
openssl cms -encrypt -binary -in stream.bin -outform DER rsa.pem | base64 -w0 > openssl-enveloped.b64
# a signature over other bytes
printf 'another batch' > other.bin
echo "openssl cms -sign -binary -in other.bin -outform DER -md sha256 -signer rsa.pem -inkey rsa.key" > openssl-other-content.cmd
openssl cms -sign -binary -in other.bin -outform DER -md sha256 -signer rsa.pem -inkey rsa.key | base64 -w0 > openssl-other-content.b64
rm other.bin

python3 - <<'PY'
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
import base64
data = open("stream.bin", "rb").read()
for name, certf, keyf, opts in [
    ("python-rsa", "rsa.pem", "rsa.key", [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]),
    ("python-rsa-noattr", "rsa.pem", "rsa.key", [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoAttributes]),
    ("python-ec", "ec.pem", "ec.key", [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]),
]:
    cert = x509.load_pem_x509_certificate(open(certf, "rb").read())
    key = serialization.load_pem_private_key(open(keyf, "rb").read(), None)
    der = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256()).sign(serialization.Encoding.DER, opts)
    open(name + ".b64", "w").write(base64.b64encode(der).decode())
    open(name + ".cmd", "w").write("python3 cryptography PKCS7SignatureBuilder SHA256 options=%s signer=%s\n" % ([o.name for o in opts], certf))
PY
# BouncyCastle Java (§6.5 A-RSA, A-EC, B, H, PSS, SKI, attached)
BC=/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar
JTMP=$(mktemp -d)
javac -d "$JTMP" -cp "$BC" "$HERE/BCVectors.java"
java -cp "$JTMP:$BC" BCVectors
rm -rf "$JTMP"

# asn1crypto-assembled shapes (§6.5 C, E, F) and rejection cases (§6.6)
python3 "$HERE/asn1_vectors.py"

rm -f rsa.key ec.key other.key
echo "vectors written to $OUT"
bash "$HERE/pkcs12.sh"   # the PKCS#12 files of cert import --pkcs12
