python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: eContentType id-signedData instead of id-data; direct signature over the stream
