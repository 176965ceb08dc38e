openssl pkcs12 -export -nokeys -in cert.pem -out openssl-unicode-pass.p12 -passout 'pass:Pässwörd-€'
