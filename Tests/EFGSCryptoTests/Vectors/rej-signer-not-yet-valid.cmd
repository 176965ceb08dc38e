python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: signer certificate valid 2090..2099 (not yet valid); direct ECDSA signature, otherwise valid
