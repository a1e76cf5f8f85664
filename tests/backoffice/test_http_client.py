"""The integration kit's HTTP client against a local server that answers from a script."""

import ipaddress
import json
import logging
import os
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.cache import cache

from backoffice.integrations.errors import ProviderError
from backoffice.integrations.http import ClientCredentials, ClientIdentity, pool, request, request_json, retry_after
from backoffice.integrations.sandbox import Dropped, SandboxAPI
from tests.fake_server import Authority, serve

FAST = {"backoff": 0.01}


@pytest.fixture
def server():
    """A server answering each request with the next (status, headers, body) of `server.script`
    (the last one repeated), keeping (method, path, headers) of each in `server.requests`."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append((self.command, self.path, dict(self.headers.items())))
            status, headers, body = state.script(self) if callable(state.script) else (
                state.script[min(len(state.requests), len(state.script)) - 1])
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    class State:
        requests: list = []
        script: list = [(200, {}, {})]

    state = State()
    state.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.url, state.handler = f"http://127.0.0.1:{httpd.server_port}", Handler
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_a_503_is_retried_and_the_success_that_follows_is_the_answer(server):
    server.script = [(503, {}, {"error": "busy"}), (200, {}, {"ok": True})]
    assert request_json("GET", f"{server.url}/v1/things", **FAST) == {"ok": True}
    assert len(server.requests) == 2


def test_retry_after_in_seconds_is_waited_before_the_next_attempt(server):
    server.script = [(503, {"Retry-After": "1"}, {}), (200, {}, {"ok": True})]
    started = time.monotonic()
    assert request_json("GET", f"{server.url}/v1/things", **FAST) == {"ok": True}
    assert time.monotonic() - started >= 0.95


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert retry_after(httpx.Response(503, headers={"Retry-After": "7"})) == 7
    assert 18 <= retry_after(httpx.Response(503, headers={"Retry-After": later})) <= 20
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(503)) is None


def test_retry_after_is_capped_by_the_longest_wait(server):
    server.script = [(429, {"Retry-After": "3600"}, {}), (200, {}, {"ok": True})]
    started = time.monotonic()
    assert request_json("GET", f"{server.url}/v1/things", max_wait=0.2, **FAST) == {"ok": True}
    assert time.monotonic() - started < 2


def test_a_429_is_retried_even_for_a_post(server):
    server.script = [(429, {}, {}), (201, {}, {"id": "1"})]
    assert request_json("POST", f"{server.url}/v1/refunds", body={"amount": 1}, **FAST) == {"id": "1"}
    assert len(server.requests) == 2


def test_a_post_without_an_idempotency_promise_is_not_retried_on_a_500(server):
    server.script = [(500, {}, {}), (201, {}, {"id": "1"})]
    with pytest.raises(ProviderError, match="HTTP 500"):
        request_json("POST", f"{server.url}/v1/cancel", body={"amount": 1}, **FAST)
    assert len(server.requests) == 1


def test_after_the_last_attempt_the_error_names_the_call_and_the_status(server):
    server.script = [(502, {}, {"error": "bad gateway"})]
    with pytest.raises(ProviderError, match=r"GET http://127.0.0.1:\d+/v1/things: HTTP 502 .*bad gateway") as error:
        request("GET", f"{server.url}/v1/things", attempts=4, **FAST)
    assert error.value.status == 502 and len(server.requests) == 4


@pytest.mark.parametrize("status", [400, 404])
def test_a_client_error_is_not_retried(server, status):
    server.script = [(status, {}, {"message": "no such thing"})]
    with pytest.raises(ProviderError, match=f"HTTP {status} .*no such thing"):
        request("GET", f"{server.url}/v1/things", **FAST)
    assert len(server.requests) == 1


def test_an_unreachable_server_is_retried_then_a_provider_error(caplog):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nobody listens there once closed
    with caplog.at_level(logging.WARNING, logger="backoffice.integrations"):
        with pytest.raises(ProviderError, match=f"GET http://127.0.0.1:{port}/ping"):
            request("GET", f"http://127.0.0.1:{port}/ping", attempts=3, **FAST)
    assert sum("failed after" in record.getMessage() for record in caplog.records) == 3


def test_the_log_line_names_the_call_without_the_query_secrets(server, caplog):
    url = f"{server.url}/v1/things?access_token=xyz&client_secret=s3cr3t&page=2"
    with caplog.at_level(logging.INFO, logger="backoffice.integrations"):
        request("GET", url)
    [line] = [record.getMessage() for record in caplog.records if record.name == "backoffice.integrations"]
    assert line.startswith(f"GET {server.url}/v1/things?access_token=***&client_secret=***&page=2 200 ")
    assert line.endswith(" ms") and "xyz" not in line and "s3cr3t" not in line


def test_an_error_message_hides_the_query_secrets_too(server):
    server.script = [(404, {}, {})]
    with pytest.raises(ProviderError) as error:
        request("GET", f"{server.url}/v1/things?access_token=xyz")
    assert "xyz" not in str(error.value) and "access_token=***" in str(error.value)


def oauth_server(server, *, expires_in=3600, accepted=None):
    """The token endpoint hands out tok-1, tok-2, …; the API accepts the tokens in `accepted` (all by default)."""
    tokens = []

    def answer(handler):
        if handler.path == "/oauth2/token":
            assert handler.headers["Authorization"].startswith("Basic ")
            tokens.append(f"tok-{len(tokens) + 1}")
            return 200, {}, {"access_token": tokens[-1], "expires_in": expires_in}
        bearer = handler.headers["Authorization"].removeprefix("Bearer ")
        return (200, {}, {"token": bearer}) if accepted is None or bearer in accepted else (401, {}, {})

    server.script = answer
    return tokens, ClientCredentials(f"{server.url}/oauth2/token", "client", "secret")


def test_the_oauth_token_is_asked_once_and_reused_while_valid(server):
    cache.clear()
    tokens, oauth = oauth_server(server)
    assert [oauth.request_json("GET", f"{server.url}/v1/things")["token"] for _ in range(3)] == ["tok-1"] * 3
    assert tokens == ["tok-1"]


def test_an_expired_oauth_token_is_renewed(server):
    cache.clear()
    tokens, oauth = oauth_server(server, expires_in=1)  # within the renewal margin: never kept
    assert [oauth.request_json("GET", f"{server.url}/v1/things")["token"] for _ in range(2)] == ["tok-1", "tok-2"]


def test_a_401_renews_the_token_once_and_then_gives_up(server):
    cache.clear()
    tokens, oauth = oauth_server(server, accepted={"tok-2"})
    assert oauth.request_json("GET", f"{server.url}/v1/things") == {"token": "tok-2"}
    assert tokens == ["tok-1", "tok-2"]
    assert oauth.request_json("GET", f"{server.url}/v1/things") == {"token": "tok-2"}  # the new one is kept
    cache.clear()
    tokens, oauth = oauth_server(server, accepted=set())
    with pytest.raises(ProviderError, match="HTTP 401"):
        oauth.request_json("GET", f"{server.url}/v1/things")
    assert tokens == ["tok-1", "tok-2"]


def issue(subject: str, issuer=None, *, ip=None, ca=False):
    """A certificate for `subject` signed by `issuer` (certificate, key), itself when None: (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer_cert, signer_key = issuer or (None, key)
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(name).public_key(key.public_key())
               .issuer_name(signer_cert.subject if signer_cert else name).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                                        critical=False)
    return builder.sign(signer_key, hashes.SHA256()), key


def write_pem(path, certificate, key):
    path.with_suffix(".crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(path.with_suffix(".crt")), str(path.with_suffix(".key"))


def subject(handler) -> dict:
    """The subject of the certificate the client presented to `handler`'s connection."""
    return dict(rdn[0] for rdn in handler.connection.getpeercert()["subject"])


def test_a_client_certificate_is_presented_to_a_server_that_requires_one(server, tmp_path):
    authority = issue("Test CA", ca=True)
    ca_file, _ = write_pem(tmp_path / "ca", *authority)
    server_files = write_pem(tmp_path / "server", *issue("127.0.0.1", authority, ip="127.0.0.1"))
    client_files = write_pem(tmp_path / "client", *issue("loja-a1", authority))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*server_files)
    tls.load_verify_locations(ca_file)
    tls.verify_mode = ssl.CERT_REQUIRED
    server.script = lambda handler: (200, {}, {"client": subject(handler)})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), server.handler)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"https://127.0.0.1:{httpd.server_port}/ws/NFeAutorizacao4"
    try:
        assert request_json("GET", url, cert=client_files, ca=ca_file) == {"client": {"commonName": "loja-a1"}}
        with pytest.raises(ProviderError):
            request("GET", url, ca=ca_file, attempts=1)  # no certificate: the handshake fails
    finally:
        httpd.shutdown()
        httpd.server_close()


def pem_identity(certificate, key) -> ClientIdentity:
    return ClientIdentity(certificate.public_bytes(serialization.Encoding.PEM), key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


class Echo(SandboxAPI):
    """Answers every call with its path."""

    provider = "echo"

    def respond(self, method, path, headers, body):
        return 200, {"path": path}


def test_a_client_certificate_held_in_memory_is_presented_and_its_key_never_reaches_the_disk_in_clear(
        tmp_path, monkeypatch):
    authority = Authority.create()
    certificate, key = authority.issue("loja-a1")
    api = serve(Echo(), tls=authority.server_tls(clients=authority.pem))
    loaded = []
    original = ssl.SSLContext.load_cert_chain

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        with open(certfile, "rb") as handle:
            loaded.append((certfile, handle.read(), password))
        return original(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", load_cert_chain)
    try:
        identity = pem_identity(certificate, key)
        assert request_json("POST", f"{api.url}/ws/x", identity=identity, ca=authority.write(tmp_path / "ca.pem"),
                            body=b"<x/>") == {"path": "/ws/x"}
        assert x509.load_der_x509_certificate(api.peers[0]).subject == certificate.subject
        [(path, content, password)] = loaded
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in content and b"BEGIN PRIVATE KEY" not in content
        assert len(password) >= 32 and not os.path.exists(path)
        assert "PRIVATE" not in repr(identity)
    finally:
        api.close()


def test_pools_are_kept_per_identity():
    authority = Authority.create()
    first, second = (pem_identity(*authority.issue(name)) for name in ("a1-one", "a1-two"))
    same = ClientIdentity(first.cert_chain_pem, first.key_pem)
    assert pool(identity=first) is pool(identity=same)
    assert pool(identity=first) is not pool(identity=second) and pool(identity=first) is not pool()


def test_without_a_client_certificate_the_handshake_is_refused_and_an_untrusted_server_is_refused(tmp_path):
    authority = Authority.create()
    identity = pem_identity(*authority.issue("loja-a1"))
    api = serve(Echo(), tls=authority.server_tls(clients=authority.pem))
    try:
        with pytest.raises(ProviderError):
            request("GET", f"{api.url}/", ca=authority.write(tmp_path / "ca.pem"), attempts=1)
        other = Authority.create("Other CA")
        with pytest.raises(ProviderError, match="CERTIFICATE_VERIFY_FAILED"):
            request("GET", f"{api.url}/", identity=identity, ca=other.write(tmp_path / "other.pem"), attempts=1)
        assert api.requests == []
    finally:
        api.close()


class Soap(SandboxAPI):
    provider = "soap"

    def respond(self, method, path, headers, body):
        if path == "/lost":
            return 200, Dropped()
        return 200, b"<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'/>"


def test_a_sandbox_answers_bytes_as_soap_and_a_dropped_answer_never_arrives():
    api = serve(Soap())
    try:
        answer = request("POST", f"{api.url}/ws", body=b"<x/>")
        assert answer.headers["content-type"] == "application/soap+xml; charset=utf-8"
        assert answer.content.startswith(b"<env:Envelope")
        with pytest.raises(ProviderError, match="disconnected"):
            request("POST", f"{api.url}/lost", body=b"<x/>", idempotent=False)
        assert [path for _, path, _, _ in api.requests] == ["/ws", "/lost"]  # processed, not retried
    finally:
        api.close()
