python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: direct RSA signature with its last byte flipped
