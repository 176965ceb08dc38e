python3 cryptography PKCS7SignatureBuilder SHA256 options=['DetachedSignature', 'Binary', 'NoAttributes'] signer=rsa.pem
