"""A sandbox's API (backoffice.integrations.sandbox) served on a local port, its documents in plain
dicts: an external system's API as the tests see it, at the edge of the network — over plain HTTP,
or over HTTPS with a test authority's server certificate, requiring a client certificate (mTLS)."""

import ipaddress
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backoffice.integrations.sandbox import Dropped, SandboxAPI, encoded


@dataclass(frozen=True)
class Authority:
    """A test certificate authority: it issues the fake server's certificate, and its PEM (`pem`) is
    what a client is told to trust (`ca=`)."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, name: str = "Test CA") -> "Authority":
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        return cls(_certificate(subject, subject, key.public_key(), key, ca=True), key)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, path) -> str:
        """Its PEM written to `path` (a CA bundle file, as `ca=` wants it); the path as a string."""
        path.write_bytes(self.pem)
        return str(path)

    def issue(self, common_name: str, *, ip: str | None = None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A certificate for `common_name` (and the address `ip`), signed by this authority, and its key."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return _certificate(subject, self.certificate.subject, key.public_key(), self.key, ip=ip), key

    def server_tls(self, *, clients: bytes) -> ssl.SSLContext:
        """A server context presenting a certificate of this authority for 127.0.0.1 and requiring a
        client certificate that `clients` (PEM: the trusted authorities or certificates) vouches for."""
        certificate, key = self.issue("127.0.0.1", ip="127.0.0.1")
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.NamedTemporaryFile(suffix=".pem") as handle:  # ssl reads a chain only from a file
            handle.write(certificate.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            handle.flush()
            tls.load_cert_chain(handle.name)
        tls.load_verify_locations(cadata=clients.decode())
        # A self-signed end-entity certificate (a test A1) among `clients` is trusted as itself.
        tls.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        tls.verify_mode = ssl.CERT_REQUIRED
        return tls


def _certificate(subject, issuer, public_key, signer, *, ca=False, ip=None) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
               .not_valid_after(now + timedelta(hours=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    return builder.sign(signer, hashes.SHA256())


def serve(api: SandboxAPI, tls: ssl.SSLContext | None = None) -> SandboxAPI:
    """Start serving `api` (over HTTPS with `tls`, a server context): it gains `url` and `close()`; it
    keeps every request in `requests` and, over TLS, the client certificate of each (DER) in `peers`. A
    `Dropped` answer closes the connection without answering, after its delay."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if tls:
                api.peers.append(self.connection.getpeercert(binary_form=True))
            status, document = api.handle(self.command, self.path, dict(self.headers.items()), body)
            if isinstance(document, Dropped):
                time.sleep(document.delay)
                self.close_connection = True
                return
            content_type, payload = encoded(document)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def finish_request(self, request, client_address):
            if tls is None:
                return super().finish_request(request, client_address)
            # The handshake in the connection's own thread: a client refused blocks no other.
            with tls.wrap_socket(request, server_side=True) as connection:
                super().finish_request(connection, client_address)

        def handle_error(self, request, client_address):
            pass  # a refused handshake or a dropped connection is what a test asked for

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    api.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    api.peers = []
    api.close = lambda: (server.shutdown(), server.server_close())
    return api
