java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): BouncyCastle 1.72 defaults, SHA256withECDSA (P-256), detached, getEncoded() (BER)
