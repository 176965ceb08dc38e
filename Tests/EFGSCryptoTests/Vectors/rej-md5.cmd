python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: digestAlgorithm MD5 (1.2.840.113549.2.5) with rsaEncryption; otherwise valid
