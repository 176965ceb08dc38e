#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
"""CMS vectors assembled field by field with asn1crypto and signed with Python `cryptography`.

Covers the PROTOCOL.md §6.5 cases no library writes by default here (E: Go pkcs7, F: jsrsasign, C: .NET SignedCms)
and the §6.6 rejection cases that need a crafted structure. Run by tools/vectors/generate.sh in the vector folder
(needs stream.bin, rsa.pem/rsa.key, ec.pem/ec.key); `pip install asn1crypto cryptography`.
Each vector NAME gets NAME.b64 (the batchSignature value) and NAME.cmd (what made it).
"""
import base64
import datetime
import hashlib

from asn1crypto import algos, cms, core, x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

STREAM = open("stream.bin", "rb").read()
UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)


def load(cert_file, key_file):
    cert = open(cert_file, "rb").read()
    key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
    return x509.load_pem_x509_certificate(cert).public_bytes(serialization.Encoding.DER), key


def make_cert(key, subject, not_before, not_after):
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in subject])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


HASHES = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "md5": hashes.MD5()}


def raw_sign(key, data, hash_name, pss=False):
    h = HASHES[hash_name]
    if isinstance(key, rsa.RSAPrivateKey):
        pad = padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size) if pss else padding.PKCS1v15()
        return key.sign(data, pad, h)
    return key.sign(data, ec.ECDSA(h))


def attribute(kind, value):
    if kind == "content_type":
        return cms.CMSAttribute({"type": "content_type", "values": [value]})
    if kind == "message_digest":
        return cms.CMSAttribute({"type": "message_digest", "values": [value]})
    if kind == "signing_time":
        return cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": value})]})
    if kind == "algorithm_protection":
        digest, sig = value
        return cms.CMSAttribute({"type": "cms_algorithm_protection", "values": [cms.CMSAlgorithmProtection({
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig}),
        })]})
    raise ValueError(kind)


def der_set(attrs):
    """The attributes in DER SET OF order (sorted by encoding), as RFC 5652 §5.4 signs them."""
    return cms.CMSAttributes(sorted(attrs, key=lambda a: a.dump()))


def signer_info(cert_der, key, *, digest="sha256", sig_alg="sha256_rsa", sig_null=True,
                sig_hash=None, attrs=None, sid="issuer_serial", signature=None, pss=False):
    """One SignerInfo. attrs=None signs the stream directly; otherwise a list of CMSAttribute."""
    cert = ax509.Certificate.load(cert_der)
    if sid == "issuer_serial":
        sid_value = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": cert.issuer, "serial_number": cert.serial_number})})
    else:
        sid_value = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber({
            "issuer": cert.issuer, "serial_number": sid})})
    signed_attrs = der_set(attrs) if attrs is not None else None
    to_sign = signed_attrs.dump() if signed_attrs is not None else STREAM
    if signature is None:
        signature = raw_sign(key, to_sign, sig_hash or digest, pss=pss)
    digest_alg = {"algorithm": digest}  # asn1crypto writes NULL parameters for the SHA family
    sig_alg_value = {"algorithm": sig_alg}
    if sig_null:
        sig_alg_value["parameters"] = core.Null()
    info = {
        "version": "v1", "sid": sid_value, "digest_algorithm": algos.DigestAlgorithm(digest_alg),
        "signature_algorithm": algos.SignedDigestAlgorithm(sig_alg_value), "signature": signature,
    }
    if signed_attrs is not None:
        info["signed_attrs"] = signed_attrs
    return cms.SignerInfo(info)


def content_info(signer_infos, certs, *, econtent_type="data", econtent=None):
    digests = []
    for si in signer_infos:
        if si["digest_algorithm"].dump() not in [d.dump() for d in digests]:
            digests.append(si["digest_algorithm"])
    encap = {"content_type": econtent_type}
    if econtent is not None:
        encap["content"] = econtent
    sd = cms.SignedData({
        "version": "v1", "digest_algorithms": digests, "encap_content_info": cms.ContentInfo(encap),
        "certificates": [ax509.Certificate.load(c) for c in certs], "signer_infos": signer_infos,
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": sd}).dump()


def standard_attrs(digest_name, content=STREAM, *, content_type="data", signing_time=None):
    return [attribute("content_type", content_type),
            attribute("message_digest", hashlib.new(digest_name, content).digest()),
            attribute("signing_time", signing_time or NOW)]


def write(name, der, how):
    open(name + ".b64", "w").write(base64.b64encode(der).decode())
    open(name + ".cmd", "w").write("python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): " + how + "\n")


def main():
    rsa_cert, rsa_key = load("rsa.pem", "rsa.key")
    ec_cert, ec_key = load("ec.pem", "ec.key")

    # ---- §6.5 acceptance cases ----
    # C: .NET SignedCms (NL): DER, RSA-4096, sha256 (params absent), bare rsaEncryption, no signed attributes.
    k4096 = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    c4096 = make_cert(k4096, [(NameOID.COUNTRY_NAME, "DE"), (NameOID.COMMON_NAME, "vector-rsa4096")],
                      NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=3650))
    open("rsa4096.pem", "wb").write(x509.load_der_x509_certificate(c4096).public_bytes(serialization.Encoding.PEM))
    write("py-c-net", content_info([signer_info(c4096, k4096, sig_alg="rsassa_pkcs1v15")], [c4096]),
          "case C (.NET SignedCms shape): DER, RSA-4096 (rsa4096.pem), digestAlgorithm sha256, signatureAlgorithm rsaEncryption+NULL, no signed attributes")
    # E-RSA / E-EC: Go pkcs7 (CZ): DER, SHA-1 digest, sha1WithRSA or ecdsa-with-SHA1, contentType/messageDigest/signingTime.
    write("py-e-rsa", content_info([signer_info(rsa_cert, rsa_key, digest="sha1", sig_alg="sha1_rsa", attrs=standard_attrs("sha1"))], [rsa_cert]),
          "case E (Go pkcs7 shape): DER, digestAlgorithm sha1, signatureAlgorithm sha1WithRSAEncryption, attributes contentType/messageDigest(SHA-1)/signingTime")
    write("py-e-ec", content_info([signer_info(ec_cert, ec_key, digest="sha1", sig_alg="sha1_ecdsa", sig_null=False, attrs=standard_attrs("sha1"))], [ec_cert]),
          "case E with EC: DER, digestAlgorithm sha1, signatureAlgorithm ecdsa-with-SHA1 (1.2.840.10045.4.1), attributes contentType/messageDigest(SHA-1)/signingTime")
    # F: jsrsasign (IE): digestAlgorithm SHA-256 and a SHA-256 messageDigest, but the signature is SHA1withRSA.
    write("py-f", content_info([signer_info(rsa_cert, rsa_key, digest="sha256", sig_alg="sha1_rsa", sig_hash="sha1", attrs=standard_attrs("sha256"))], [rsa_cert]),
          "case F (jsrsasign shape): DER, digestAlgorithm sha256, messageDigest SHA-256, signatureAlgorithm sha1WithRSAEncryption (SHA1withRSA over the attributes)")
    # bare id-ecPublicKey as signatureAlgorithm: the hash is the digestAlgorithm's.
    write("py-ec-bare", content_info([signer_info(ec_cert, ec_key, sig_alg="1.2.840.10045.2.1", sig_null=False, attrs=standard_attrs("sha256"))], [ec_cert]),
          "DER, digestAlgorithm sha256, signatureAlgorithm bare id-ecPublicKey (1.2.840.10045.2.1), standard attributes")
    # CMSAlgorithmProtection naming the SignerInfo's own algorithms (accepted).
    write("py-algprot-ok", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256") + [attribute("algorithm_protection", ("sha256", "sha256_rsa"))])], [rsa_cert]),
          "DER, sha256 / sha256WithRSA, CMSAlgorithmProtection naming sha256 and sha256WithRSA")

    # ---- §6.6 rejection cases ----
    write("rej-md5", content_info([signer_info(rsa_cert, rsa_key, digest="md5", sig_alg="rsassa_pkcs1v15", attrs=standard_attrs("md5"))], [rsa_cert]),
          "rejection: digestAlgorithm MD5 (1.2.840.113549.2.5) with rsaEncryption; otherwise valid")
    write("rej-md5-rsa", content_info([signer_info(rsa_cert, rsa_key, sig_alg="md5_rsa", sig_hash="md5", attrs=standard_attrs("sha256"))], [rsa_cert]),
          "rejection: signatureAlgorithm md5WithRSAEncryption (1.2.840.113549.1.1.4)")
    write("rej-unknown-sigalg", content_info([signer_info(rsa_cert, rsa_key, sig_alg="1.3.6.1.4.1.99999.1", attrs=standard_attrs("sha256"))], [rsa_cert]),
          "rejection: unknown signatureAlgorithm OID 1.3.6.1.4.1.99999.1 (RSA PKCS#1 v1.5 SHA-256 signature bytes)")
    write("rej-ecdsa-oid-rsa-key", content_info([signer_info(rsa_cert, rsa_key, sig_alg="sha256_ecdsa", sig_null=False, attrs=standard_attrs("sha256"))], [rsa_cert]),
          "rejection: algorithm/key-type mismatch: ecdsa-with-SHA256 named, RSA key and RSA signature")
    write("rej-rsa-oid-ec-key", content_info([signer_info(ec_cert, ec_key, sig_alg="sha256_rsa", attrs=standard_attrs("sha256"))], [ec_cert]),
          "rejection: algorithm/key-type mismatch: sha256WithRSAEncryption named, EC key and ECDSA signature")
    write("rej-md-mismatch", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256", content=b"another batch"))], [rsa_cert]),
          "rejection: messageDigest of other bytes; the signature over the attributes is valid")
    write("rej-no-contenttype", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256")[1:])], [rsa_cert]),
          "rejection: signed attributes without contentType (messageDigest, signingTime only); valid signature")
    write("rej-contenttype-signeddata", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256", content_type="signed_data"))], [rsa_cert]),
          "rejection: contentType attribute = id-signedData instead of id-data; valid signature")
    write("rej-signingtime-outside", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256", signing_time=datetime.datetime(2001, 1, 1, tzinfo=UTC)))], [rsa_cert]),
          "rejection: signingTime 2001-01-01, before the signer certificate's notBefore; valid signature")
    write("rej-algprot-mismatch", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256") + [attribute("algorithm_protection", ("sha384", "sha256_rsa"))])], [rsa_cert]),
          "rejection: CMSAlgorithmProtection names sha384 while digestAlgorithm is sha256; valid signature")
    other = b"another batch"
    write("rej-attached-different", content_info([signer_info(rsa_cert, rsa_key, attrs=standard_attrs("sha256", content=other))], [rsa_cert], econtent=other),
          "rejection: attached eContent 'another batch' (validly signed) differs from the batch stream")
    write("rej-econtenttype", content_info([signer_info(rsa_cert, rsa_key)], [rsa_cert], econtent_type="signed_data"),
          "rejection: eContentType id-signedData instead of id-data; direct signature over the stream")
    write("rej-zero-signers", content_info([], [rsa_cert]), "rejection: SignedData with zero SignerInfos")
    write("rej-sid-unmatched", content_info([signer_info(rsa_cert, rsa_key, sid=12345)], [rsa_cert]),
          "rejection: IssuerAndSerialNumber SID whose serial matches no embedded certificate")
    kold = ec.generate_private_key(ec.SECP256R1())
    expired = make_cert(kold, [(NameOID.COUNTRY_NAME, "DE"), (NameOID.COMMON_NAME, "vector-expired")],
                        datetime.datetime(2000, 1, 1, tzinfo=UTC), datetime.datetime(2001, 1, 1, tzinfo=UTC))
    write("rej-signer-expired", content_info([signer_info(expired, kold, sig_alg="sha256_ecdsa", sig_null=False)], [expired]),
          "rejection: signer certificate valid 2000-01-01..2001-01-01 (expired); direct ECDSA signature, otherwise valid")
    future = make_cert(kold, [(NameOID.COUNTRY_NAME, "DE"), (NameOID.COMMON_NAME, "vector-future")],
                       datetime.datetime(2090, 1, 1, tzinfo=UTC), datetime.datetime(2099, 1, 1, tzinfo=UTC))
    write("rej-signer-not-yet-valid", content_info([signer_info(future, kold, sig_alg="sha256_ecdsa", sig_null=False)], [future]),
          "rejection: signer certificate valid 2090..2099 (not yet valid); direct ECDSA signature, otherwise valid")
    tampered_sig = bytearray(raw_sign(rsa_key, STREAM, "sha256"))
    tampered_sig[-1] ^= 1
    write("rej-bad-signature", content_info([signer_info(rsa_cert, rsa_key, signature=bytes(tampered_sig))], [rsa_cert]),
          "rejection: direct RSA signature with its last byte flipped")


if __name__ == "__main__":
    main()
