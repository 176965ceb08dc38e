python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: SignedData with zero SignerInfos
