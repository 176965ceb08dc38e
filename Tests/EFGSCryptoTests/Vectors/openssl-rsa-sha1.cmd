openssl cms -sign -binary -in stream.bin -outform DER -md sha1 -signer rsa.pem -inkey rsa.key
