python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: CMSAlgorithmProtection names sha384 while digestAlgorithm is sha256; valid signature
