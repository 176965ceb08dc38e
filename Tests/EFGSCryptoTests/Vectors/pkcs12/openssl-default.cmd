openssl pkcs12 -export -nokeys -in cert.pem -out openssl-default.p12 -passout pass:Vector-Pass-1
