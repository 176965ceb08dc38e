python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): rejection: attached eContent 'another batch' (validly signed) differs from the batch stream
