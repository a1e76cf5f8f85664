"""One HTTP client for every external system: a shared connection pool per process, connect and read
timeouts, retries with exponential backoff (honouring Retry-After), a ProviderError naming the failed
call, a log line per call without the URL's secrets, and an OAuth2 client-credentials token helper.

mTLS: pass `identity=ClientIdentity(chain_pem, key_pem)` — a client certificate held in memory, such as
the store's A1 certificate SEFAZ asks for — or `cert=(certificate_path, key_path)` (PEM files), and the call
goes through a pool that presents that certificate; `ca=` a PEM file of the authorities the server's
certificate is checked against when they are not the usual ones (ICP-Brasil). The server's certificate is
always verified."""

import base64
import hashlib
import json
import logging
import os
import re
import secrets
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import certifi
import httpx
from cryptography.hazmat.primitives import serialization
from django.core.cache import cache

from .errors import ProviderError

log = logging.getLogger("backoffice.integrations")

ATTEMPTS = 3  # calls in all, the first included
MAX_WAIT = 30.0  # seconds: the longest wait between two attempts, whatever Retry-After asks
BACKOFF = 0.5  # seconds before the second attempt, doubled before each one after
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Query parameters whose values never reach a log line or an error message.
SECRET_NAMES = re.compile(r"token|secret|key|password|passwd|signature|sig|auth|code|credential", re.IGNORECASE)
# Methods a repeated call cannot do twice; another one is retried on 5xx only when the caller says it
# is idempotent (an idempotency key): a connect error or a 429 means the call was not processed.
IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}

_pools: dict = {}
_pools_pid = None
_pools_lock = threading.Lock()


@dataclass(frozen=True)
class ClientIdentity:
    """A client certificate held in memory: its chain (the certificate first) and its private key, as
    PEM. Pools are keyed by `digest`, so the key itself is never part of a key, a log or a repr."""

    cert_chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.cert_chain_pem + b"\x00" + self.key_pem).hexdigest()


def _load_identity(tls: ssl.SSLContext, identity: ClientIdentity) -> None:
    """Load `identity` into `tls`. ssl reads a certificate chain only from a file: a private temporary one
    holding the chain and the key encrypted under a one-time random password, removed at once, so the key
    never reaches the disk in clear."""
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    password = secrets.token_bytes(32)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(password))
    with tempfile.NamedTemporaryFile(prefix="identity-", suffix=".pem") as handle:  # mode 0600, removed on close
        handle.write(identity.cert_chain_pem.rstrip(b"\n") + b"\n" + encrypted)
        handle.flush()
        tls.load_cert_chain(handle.name, password=password)


def pool(cert: tuple[str, str] | None = None, ca: str | None = None,
         identity: ClientIdentity | None = None) -> httpx.Client:
    """The process's client presenting `identity` or `cert` and trusting `ca` (none of them: the plain one),
    made on first use; a forked worker makes its own (a pool's sockets are not shared across processes)."""
    global _pools_pid
    key = (cert, ca, identity.digest if identity else None)
    with _pools_lock:
        if _pools_pid != os.getpid():
            _pools.clear()
            _pools_pid = os.getpid()
        if key not in _pools:
            tls = ssl.create_default_context(cafile=ca or certifi.where())
            if cert:
                tls.load_cert_chain(*cert)
            if identity:
                _load_identity(tls, identity)
            _pools[key] = httpx.Client(verify=tls, timeout=TIMEOUT, follow_redirects=False)
        return _pools[key]


def safe_url(url: str) -> str:
    """`url` as a log may show it: no user and password, the values of secret-looking query parameters masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode([(name, "***" if SECRET_NAMES.search(name) else value)
                       for name, value in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def retry_after(response: httpx.Response) -> float | None:
    """The seconds the answer's Retry-After asks for (a number or an HTTP date), None without one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def request(method: str, url: str, *, headers: dict | None = None, body=None, cert=None, ca=None, identity=None,
            timeout=TIMEOUT, attempts: int = ATTEMPTS, max_wait: float = MAX_WAIT, backoff: float = BACKOFF,
            idempotent: bool | None = None, check: bool = True) -> httpx.Response:
    """Call an external API; its answer. `body` is sent as JSON (dict or list) or as is (bytes, e.g. a
    form). Connect errors and 429 are retried, 5xx too when the call is idempotent (by its method unless
    `idempotent` says), `attempts` calls in all, waiting Retry-After or the backoff (at most `max_wait`).
    A failure, or with `check` an answer other than 2xx, is a ProviderError naming the call."""
    method = method.upper()
    shown = safe_url(url)
    headers = {"Accept": "application/json", **(headers or {})}
    if isinstance(body, dict | list):
        body, headers = json.dumps(body).encode(), {"Content-Type": "application/json", **headers}
    repeatable = method in IDEMPOTENT if idempotent is None else idempotent
    for attempt in range(1, max(attempts, 1) + 1):
        started = time.monotonic()
        try:
            response = pool(cert, ca, identity).request(method, url, headers=headers, content=body, timeout=timeout)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            log.warning("%s %s failed after %d ms: %s", method, shown, (time.monotonic() - started) * 1000, exc)
            failure = ProviderError(f"{method} {shown}: {exc}")
            failure.__cause__ = exc
            # A call that never reached the server is safe to repeat whatever its method.
            again, wait = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) or repeatable, None
        else:
            status = response.status_code
            log.info("%s %s %s %d ms", method, shown, status, (time.monotonic() - started) * 1000)
            if response.is_success:
                return response
            again, wait = status == 429 or status >= 500 and repeatable, retry_after(response)
            if not check and not (again and attempt < attempts):
                return response
            failure = ProviderError(f"{method} {shown}: HTTP {status} {response.text[:300]}", status=status)
        if not again or attempt >= attempts:
            raise failure
        time.sleep(min(max_wait, backoff * 2 ** (attempt - 1) if wait is None else wait))


def request_json(method: str, url: str, **kwargs):
    """`request`, its answer decoded from JSON (an empty answer: an empty object)."""
    answer = request(method, url, **kwargs).content
    try:
        return json.loads(answer) if answer.strip() else {}
    except ValueError as exc:
        raise ProviderError(f"{method} {safe_url(url)}: the answer is not JSON") from exc


class ClientCredentials:
    """An OAuth2 client-credentials token from `token_url`, kept in the cache until shortly before it
    expires; `request_json` calls an API with it and, on a 401 (revoked, expired early), once more with
    a new one."""

    margin = 120  # seconds before its expiry a token is renewed

    def __init__(self, token_url: str, client_id: str, client_secret: str, *, scope: str = ""):
        self.token_url, self.client_id, self.client_secret, self.scope = token_url, client_id, client_secret, scope
        digest = hashlib.sha256(f"{token_url}|{client_id}|{client_secret}|{scope}".encode()).hexdigest()
        self.cache_key = f"integrations:oauth2:{digest[:32]}"

    def token(self) -> str:
        if token := cache.get(self.cache_key):
            return token
        form = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {})}
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        answer = request_json("POST", self.token_url, body=urlencode(form).encode(), idempotent=True,
                              headers={"Authorization": f"Basic {basic}",
                                       "Content-Type": "application/x-www-form-urlencoded"})
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise ProviderError(f"{safe_url(self.token_url)} gave no access token")
        expires = answer.get("expires_in") if isinstance(answer.get("expires_in"), int) else 0
        # Renewed `margin` seconds before it expires (a short-lived one at half its life; 0: not kept).
        cache.set(self.cache_key, answer["access_token"], max(expires - self.margin, expires // 2))
        return answer["access_token"]

    def request_json(self, method: str, url: str, *, headers: dict | None = None, **kwargs):
        for renewed in (False, True):
            token = self.token()  # outside the try: a refused token request is not asked twice
            try:
                return request_json(method, url, headers={"Authorization": f"Bearer {token}", **(headers or {})},
                                    **kwargs)
            except ProviderError as exc:
                if exc.status != 401 or renewed:
                    raise
                cache.delete(self.cache_key)
