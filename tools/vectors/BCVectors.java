// SPDX-License-Identifier: EUPL-1.2

// BouncyCastle-Java producer of the CMS test vectors of PROTOCOL.md §6.5 (cases A-RSA, A-EC, B, H, PSS, SKI,
// attached). Run by tools/vectors/generate.sh with Debian's libbcprov-java / libbcpkix-java / libbcutil-java:
//   javac -cp /usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar BCVectors.java
//   java  -cp .:/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar BCVectors
// Reads stream.bin, rsa.pem/rsa.key, ec.pem/ec.key from the working directory; writes NAME.b64 and NAME.cmd.
import java.io.FileReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignatureEncryptionAlgorithmFinder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultCMSSignatureEncryptionAlgorithmFinder;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.SignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

public class BCVectors {
    static byte[] stream;

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        stream = Files.readAllBytes(Path.of("stream.bin"));
        X509Certificate rsa = cert("rsa.pem"), ec = cert("ec.pem");
        PrivateKey rsaKey = key("rsa.key"), ecKey = key("ec.key");
        DigestCalculatorProvider digests = new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();

        // A-RSA: BouncyCastle-Java defaults, BER, SHA256withRSA (sha256WithRSAEncryption), contentType,
        // signingTime, CMSAlgorithmProtection, messageDigest.
        write("bc-a-rsa", "BouncyCastle 1.72 CMSSignedDataGenerator, JcaSignerInfoGeneratorBuilder defaults, SHA256withRSA, detached, getEncoded() (BER)",
              sign(new JcaSignerInfoGeneratorBuilder(digests).build(signer("SHA256withRSA", rsaKey), rsa), rsa, false).getEncoded());
        // A-EC: the same with SHA256withECDSA and a P-256 key.
        write("bc-a-ec", "BouncyCastle 1.72 defaults, SHA256withECDSA (P-256), detached, getEncoded() (BER)",
              sign(new JcaSignerInfoGeneratorBuilder(digests).build(signer("SHA256withECDSA", ecKey), ec), ec, false).getEncoded());
        // B: as BouncyCastle-C# 1.8 writes it: SHA-256 digestAlgorithm with NULL parameters, bare rsaEncryption with
        // NULL, signed attributes contentType, signingTime, messageDigest (no CMSAlgorithmProtection), BER.
        SignerInfoGenerator b = new JcaSignerInfoGeneratorBuilder(nullParameterDigests(digests), bareRsaEncryption())
            .setSignedAttributeGenerator(withoutAlgorithmProtection())
            .build(signer("SHA256withRSA", rsaKey), rsa);
        write("bc-b-rsa", "BouncyCastle 1.72 with digestAlgorithm sha256+NULL, signatureAlgorithm rsaEncryption+NULL, attributes contentType/signingTime/messageDigest (BouncyCastle-C# 1.8 shape), getEncoded() (BER)",
              sign(b, rsa, false).getEncoded());
        // H: SHA1withRSA with bare rsaEncryption, attributes as A-RSA, BER (legacy SHA-1).
        write("bc-h-sha1", "BouncyCastle 1.72 SHA1withRSA, signatureAlgorithm rsaEncryption, default attributes, getEncoded() (BER)",
              sign(new JcaSignerInfoGeneratorBuilder(digests, bareRsaEncryption()).build(signer("SHA1withRSA", rsaKey), rsa), rsa, false).getEncoded());
        // PSS: RSASSA-PSS SHA-256 / MGF1-SHA-256 / salt 32, DER.
        write("bc-pss", "BouncyCastle 1.72 SHA256withRSAandMGF1 (RSASSA-PSS, salt 32), default attributes, getEncoded(DER)",
              sign(new JcaSignerInfoGeneratorBuilder(digests).build(signer("SHA256withRSAandMGF1", rsaKey), rsa), rsa, false).getEncoded(ASN1Encoding.DER));
        // SKI: A-RSA with a SubjectKeyIdentifier SID.
        byte[] ski = org.bouncycastle.asn1.x509.SubjectKeyIdentifier.fromExtensions(new X509CertificateHolder(rsa.getEncoded()).getExtensions()).getKeyIdentifier();
        write("bc-ski", "BouncyCastle 1.72 defaults, SHA256withRSA, SubjectKeyIdentifier SID (JcaSignerInfoGeneratorBuilder.build(signer, ski)), BER",
              sign(new JcaSignerInfoGeneratorBuilder(digests).build(signer("SHA256withRSA", rsaKey), ski), rsa, false).getEncoded());
        // Attached: A-RSA with eContent equal to the stream.
        write("bc-attached", "BouncyCastle 1.72 defaults, SHA256withRSA, generate(content, true) (encapsulated), BER",
              sign(new JcaSignerInfoGeneratorBuilder(digests).build(signer("SHA256withRSA", rsaKey), rsa), rsa, true).getEncoded());
        // Direct signature (no signed attributes) with sha256WithRSAEncryption.
        write("bc-direct-rsa", "BouncyCastle 1.72 SHA256withRSA with setDirectSignature(true) (no signed attributes), BER",
              sign(new JcaSignerInfoGeneratorBuilder(digests).setDirectSignature(true).build(signer("SHA256withRSA", rsaKey), rsa), rsa, false).getEncoded());
    }

    static CMSSignedData sign(SignerInfoGenerator sig, X509Certificate cert, boolean attached) throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(sig);
        gen.addCertificates(new JcaCertStore(List.of(cert)));
        return gen.generate(new CMSProcessableByteArray(stream), attached);
    }

    static ContentSigner signer(String algorithm, PrivateKey key) throws Exception {
        return new JcaContentSignerBuilder(algorithm).setProvider("BC").build(key);
    }

    /** Always names bare rsaEncryption (with NULL) as the SignerInfo signatureAlgorithm. */
    static CMSSignatureEncryptionAlgorithmFinder bareRsaEncryption() {
        return sigAlg -> new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
    }

    /** Digest calculators whose AlgorithmIdentifier carries explicit NULL parameters (sha256 + NULL). */
    static DigestCalculatorProvider nullParameterDigests(DigestCalculatorProvider inner) {
        return id -> {
            DigestCalculator d = inner.get(new AlgorithmIdentifier(id.getAlgorithm()));
            return new DigestCalculator() {
                public AlgorithmIdentifier getAlgorithmIdentifier() { return new AlgorithmIdentifier(id.getAlgorithm(), DERNull.INSTANCE); }
                public OutputStream getOutputStream() { return d.getOutputStream(); }
                public byte[] getDigest() { return d.getDigest(); }
            };
        };
    }

    /** contentType, signingTime, messageDigest — no CMSAlgorithmProtection. */
    static CMSAttributeTableGenerator withoutAlgorithmProtection() {
        return params -> {
            Hashtable<ASN1ObjectIdentifier, Attribute> t = new Hashtable<>();
            t.put(CMSAttributes.contentType, new Attribute(CMSAttributes.contentType, new DERSet((ASN1ObjectIdentifier) params.get(CMSAttributeTableGenerator.CONTENT_TYPE))));
            t.put(CMSAttributes.signingTime, new Attribute(CMSAttributes.signingTime, new DERSet(new Time(new Date()))));
            t.put(CMSAttributes.messageDigest, new Attribute(CMSAttributes.messageDigest, new DERSet(new DEROctetString((byte[]) params.get(CMSAttributeTableGenerator.DIGEST)))));
            return new AttributeTable(t);
        };
    }

    static X509Certificate cert(String file) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(file))) {
            return new JcaX509CertificateConverter().setProvider("BC").getCertificate((X509CertificateHolder) p.readObject());
        }
    }

    static PrivateKey key(String file) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(file))) {
            return new JcaPEMKeyConverter().setProvider("BC").getPrivateKey((PrivateKeyInfo) p.readObject());
        }
    }

    static void write(String name, String how, byte[] der) throws Exception {
        Files.writeString(Path.of(name + ".b64"), Base64.getEncoder().encodeToString(der), StandardCharsets.US_ASCII);
        Files.writeString(Path.of(name + ".cmd"), "java BCVectors (tools/vectors/BCVectors.java, bcprov/bcpkix 1.72 from Debian): " + how + "\n", StandardCharsets.US_ASCII);
    }
}
