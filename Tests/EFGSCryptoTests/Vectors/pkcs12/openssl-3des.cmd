openssl pkcs12 -export -nokeys -in cert.pem -out openssl-3des.p12 -passout pass:Vector-Pass-1 -certpbe PBE-SHA1-3DES -macalg sha1
