openssl cms -sign -binary -in stream.bin -outform DER -md sha256 -signer ec.pem -inkey ec.key
