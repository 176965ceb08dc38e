java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): BouncyCastle 1.72 SHA256withRSAandMGF1 (RSASSA-PSS, salt 32), default attributes, getEncoded(DER)
