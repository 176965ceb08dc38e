python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: signatureAlgorithm md5WithRSAEncryption (1.2.840.113549.1.1.4)
