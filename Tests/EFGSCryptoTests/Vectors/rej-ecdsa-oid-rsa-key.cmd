python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: algorithm/key-type mismatch: ecdsa-with-SHA256 named, RSA key and RSA signature
