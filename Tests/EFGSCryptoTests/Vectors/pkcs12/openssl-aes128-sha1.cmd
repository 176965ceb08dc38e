openssl pkcs12 -export -nokeys -in cert.pem -out openssl-aes128-sha1.p12 -passout pass:Vector-Pass-1 -certpbe AES-128-CBC -macalg sha1
