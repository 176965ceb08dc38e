java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): BouncyCastle 1.72 SHA256withRSA with setDirectSignature(true) (no signed attributes), BER
