openssl pkcs12 -export -nokeys -in cert.pem -certfile ca.pem -out openssl-two-certs.p12 -passout pass:Vector-Pass-1
