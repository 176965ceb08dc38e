python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: messageDigest of other bytes; the signature over the attributes is valid
