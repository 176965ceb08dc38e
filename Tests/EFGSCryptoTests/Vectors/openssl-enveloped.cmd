openssl cms -encrypt -binary -in stream.bin -outform DER rsa.pem
