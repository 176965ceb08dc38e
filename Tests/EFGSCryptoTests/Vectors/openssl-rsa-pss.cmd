openssl cms -sign -binary -in stream.bin -outform DER -md sha256 -signer rsa.pem -inkey rsa.key -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32
