python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: unknown signatureAlgorithm OID 1.3.6.1.4.1.99999.1 (RSA PKCS#1 v1.5 SHA-256 signature bytes)
