java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): BouncyCastle 1.72 SHA1withRSA, signatureAlgorithm rsaEncryption, default attributes, getEncoded() (BER)
