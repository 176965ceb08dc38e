python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: algorithm/key-type mismatch: sha256WithRSAEncryption named, EC key and ECDSA signature
