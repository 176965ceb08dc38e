openssl pkcs12 -export -in cert.pem -inkey cert.key -out openssl-with-key.p12 -passout pass:Vector-Pass-1
