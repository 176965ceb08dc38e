python3 tools/vectors/asn1_vectors.py (asn1crypto + cryptography): DER, digestAlgorithm sha256, signatureAlgorithm bare id-ecPublicKey (1.2.840.10045.2.1), standard attributes
