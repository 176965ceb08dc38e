python3 cryptography PKCS7SignatureBuilder SHA256 options=['DetachedSignature', 'Binary'] signer=ec.pem
