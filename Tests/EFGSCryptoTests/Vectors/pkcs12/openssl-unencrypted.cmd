openssl pkcs12 -export -nokeys -in cert.pem -out openssl-unencrypted.p12 -passout pass:Vector-Pass-1 -certpbe NONE
