java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): BouncyCastle 1.72 defaults, SHA256withRSA, generate(content, true) (encapsulated), BER
