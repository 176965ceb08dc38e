openssl cms -sign -binary -in stream.bin -outform DER -md sha256 -signer rsa.pem -inkey rsa.key -signer ec.pem -inkey ec.key
