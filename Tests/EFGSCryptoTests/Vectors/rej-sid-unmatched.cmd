python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: IssuerAndSerialNumber SID whose serial matches no embedded certificate
