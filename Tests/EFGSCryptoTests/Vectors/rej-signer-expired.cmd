python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: signer certificate valid 2000-01-01..2001-01-01 (expired); direct ECDSA signature, otherwise valid
