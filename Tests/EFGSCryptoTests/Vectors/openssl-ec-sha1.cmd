openssl cms -sign -binary -in stream.bin -outform DER -md sha1 -signer ec.pem -inkey ec.key
