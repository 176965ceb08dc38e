python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: contentType attribute = id-signedData instead of id-data; valid signature
