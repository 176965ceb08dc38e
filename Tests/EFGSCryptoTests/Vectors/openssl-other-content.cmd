openssl cms -sign -binary -in other.bin -outform DER -md sha256 -signer rsa.pem -inkey rsa.key
