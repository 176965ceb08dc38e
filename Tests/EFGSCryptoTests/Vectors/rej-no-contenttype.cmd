python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: signed attributes without contentType (messageDigest, signingTime only); valid signature
