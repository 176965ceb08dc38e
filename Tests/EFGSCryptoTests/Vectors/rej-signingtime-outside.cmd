python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: signingTime 2001-01-01, before the signer certificate's notBefore; valid signature
