python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): DER, sha256 / sha256WithRSA, CMSAlgorithmProtection naming sha256 and sha256WithRSA
