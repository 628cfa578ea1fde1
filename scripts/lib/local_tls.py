"""A self-signed TLS certificate for localhost and 127.0.0.1, for the local
OpenID Connect provider the tests sign in with (Cognito takes only an https
issuer). Writes DIR/cert.pem, DIR/key.pem and DIR/trust.pem: the machine's CA
bundle plus the certificate, for the emulator's outgoing https calls
(SSL_CERT_FILE). Kept when it exists and has a day left.

    python scripts/lib/local_tls.py DIR"""
import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def still_valid(cert_file):
    if not cert_file.is_file():
        return False
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.not_valid_after_utc > datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)


def write(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def main(directory):
    directory.mkdir(parents=True, exist_ok=True)
    if not still_valid(directory / "cert.pem"):
        write(directory)
    system = next((Path(p) for p in SYSTEM_BUNDLES if Path(p).is_file()), None)
    trust = (system.read_bytes() if system else b"") + (directory / "cert.pem").read_bytes()
    (directory / "trust.pem").write_bytes(trust)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
