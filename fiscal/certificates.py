"""The store's A1 certificate (ICP-Brasil e-CNPJ, a PKCS#12 .pfx file and its password): reading
it, what it says of itself (holder, CNPJ, validity), keeping it encrypted on the fiscal profile,
and a self-signed test certificate, clearly marked, for the demo and the homologação simulator."""

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.audit import audit_record
from backoffice.integrations.http import ClientIdentity

# ICP-Brasil's otherName of an e-CNPJ certificate that carries the holder's CNPJ (DOC-ICP-04).
CNPJ_OID = x509.ObjectIdentifier("2.16.76.1.3.3")
TEST_ORGANIZATION = "TESTE - SEM VALOR FISCAL"
TEST_MARK = "CERTIFICADO DE TESTE SEM VALOR"
CNPJ = re.compile(r"[0-9A-Z]{12}\d{2}")
# The DER header of a PFX: SEQUENCE, INTEGER 3 (its version); and the OID of its pkcs7-data content.
PFX_VERSION = b"\x02\x01\x03"
PKCS7_DATA = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
# How long before the certificate expires the store is warned (the home page, the e-mail to finance).
EXPIRY_WARNING = timedelta(days=30)


class CertificateError(ValueError):
    """A certificate that cannot be used, with a message for the user."""


@dataclass(frozen=True)
class Certificate:
    """An A1 certificate read from its PKCS#12: the private key, the holder's certificate and the
    authorities' certificates that came with it."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def common_name(self) -> str:
        return _common_name(self.certificate)

    @property
    def cnpj(self) -> str:
        return cnpj_of(self.certificate)

    @property
    def serial(self) -> str:
        return format(self.certificate.serial_number, "X")

    @property
    def not_before(self) -> datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    @property
    def expired(self) -> bool:
        return self.not_after <= datetime.now(UTC)

    @property
    def is_test(self) -> bool:
        """Whether it is a test certificate made by `test_certificate` (of no fiscal value)."""
        organizations = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return TEST_MARK in self.common_name or any(o.value == TEST_ORGANIZATION for o in organizations)

    def pem(self) -> tuple[bytes, bytes]:
        """The certificate with its chain, and the private key, as PEM (unencrypted: keep in memory)."""
        chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (self.certificate, *self.chain))
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        return chain, key


def cnpj_of(certificate: x509.Certificate) -> str:
    """The holder's CNPJ of an X.509 certificate: ICP-Brasil's otherName in its alternative names,
    else the end of its common name ("NAME:CNPJ"); "" when it names none."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        names = []
    for name in names:
        if isinstance(name, x509.OtherName) and name.type_id == CNPJ_OID:
            if found := CNPJ.search(_der_text(name.value)):
                return found.group()
    found = CNPJ.search(_common_name(certificate).rpartition(":")[2].upper())
    return found.group() if found else ""


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _der_text(value: bytes) -> str:
    """The text inside a DER string (OCTET STRING, PrintableString, UTF8String, IA5String), as
    ICP-Brasil's otherName values hold it; the raw bytes decoded when it is not one."""
    if len(value) >= 2 and value[0] in (0x04, 0x0C, 0x13, 0x16):
        length, start = value[1], 2
        if length & 0x80:
            size = length & 0x7F
            length, start = int.from_bytes(value[2:2 + size], "big"), 2 + size
        value = value[start:start + length]
    return value.decode("latin-1")


def load(pfx: bytes, password: str) -> Certificate:
    """The certificate in the PKCS#12 file `pfx` opened with `password`. An expired certificate
    loads (it is reported by `expired`); a wrong password, a file that is not a PKCS#12 or one
    without a private RSA key is a CertificateError."""
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(pfx, (password or "").encode())
    except ValueError as exc:
        looks_like_pfx = pfx[:1] == b"\x30" and PFX_VERSION in pfx[:8] and PKCS7_DATA in pfx[:40]
        if looks_like_pfx:
            raise CertificateError(_("Wrong password for this certificate.")) from exc
        raise CertificateError(_("This file is not a PKCS#12 certificate (.pfx or .p12).")) from exc
    if key is None or certificate is None:
        raise CertificateError(_("This file holds no private key and certificate: an A1 certificate has both."))
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError(_("The certificate's key is not an RSA key, as SEFAZ requires."))
    return Certificate(key=key, certificate=certificate, chain=tuple(chain or ()))


def _shortened(text: str, size: int) -> str:
    """`text` cut to `size` UTF-8 bytes (a common name's limit counts bytes), never inside a character."""
    return text.encode()[:size].decode(errors="ignore").strip()


def test_certificate(*, cnpj: str, name: str, days: int = 365,
                     valid_from: datetime | None = None) -> tuple[bytes, str]:
    """A self-signed A1-like certificate for `cnpj`, clearly marked as a test certificate of no
    fiscal value (organization "TESTE - SEM VALOR FISCAL", the mark in its common name), valid from
    `valid_from` (a few minutes ago by default: the demo's history signs in the past) until `days`
    from now: its PKCS#12 bytes and their random password."""
    cnpj = cnpj.upper()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    suffix = f" {TEST_MARK}:{cnpj}"
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CERTIFICADO DE TESTE"),
        x509.NameAttribute(NameOID.COMMON_NAME, _shortened(name.upper(), 64 - len(suffix.encode())) + suffix),
    ])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName([
            x509.OtherName(CNPJ_OID, b"\x13" + bytes([len(cnpj)]) + cnpj.encode("ascii")),
        ]), critical=False)
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(12)
    pfx = pkcs12.serialize_key_and_certificates(
        name=cnpj.encode(), key=key, cert=certificate, cas=None,
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()))
    return pfx, password


_loaded: dict[str, Certificate] = {}
_loaded_lock = threading.Lock()


def certificate_of(profile) -> Certificate:
    """The profile's A1 certificate, read once per process (kept by a digest of what is stored, so
    a new certificate is read when it changes); CertificateError when it has none."""
    stored = profile.certificate or {}
    if not stored.get("pfx"):
        raise CertificateError(_("The fiscal profile has no A1 certificate yet."))
    digest = hashlib.sha256(f"{stored['pfx']}\x00{stored.get('password', '')}".encode()).hexdigest()
    with _loaded_lock:
        if digest not in _loaded:
            if len(_loaded) >= 8:
                _loaded.clear()
            _loaded[digest] = load(base64.b64decode(stored["pfx"]), stored.get("password", ""))
        return _loaded[digest]


def profile_set_certificate(*, profile, pfx: bytes, password: str, user=None) -> Certificate:
    """Give `profile` the A1 certificate `pfx`: it must open with `password` and belong to the same
    company (the first 8 characters of its CNPJ, any branch). Kept encrypted, described on the
    profile, recorded in the audit log (never the password)."""
    certificate = load(pfx, password)
    if not certificate.cnpj:
        raise CertificateError(_("The certificate names no CNPJ: an A1 e-CNPJ certificate is needed."))
    if certificate.cnpj[:8] != profile.cnpj.upper()[:8]:
        raise CertificateError(
            _("The certificate belongs to CNPJ %(certificate)s, another company than the profile's %(profile)s.")
            % {"certificate": certificate.cnpj, "profile": profile.cnpj})
    described = ("certificate_subject", "certificate_cnpj", "certificate_serial", "certificate_is_test")
    before = {field: getattr(profile, field) for field in described}
    profile.certificate = {"pfx": base64.b64encode(pfx).decode(), "password": password}
    profile.certificate_subject = certificate.subject[:300]
    profile.certificate_cnpj = certificate.cnpj
    profile.certificate_serial = certificate.serial[:64]
    profile.certificate_expires_at = certificate.not_after
    profile.certificate_is_test = certificate.is_test
    with transaction.atomic():
        profile.save()
        audit_record(actor=user, action="fiscal.certificate", obj=profile, before=before,
                     after={field: getattr(profile, field) for field in described})
    return certificate


def client_identity(certificate: Certificate) -> ClientIdentity:
    """What the HTTP kit presents to SEFAZ in mTLS: the certificate chain and its key, held in memory."""
    return ClientIdentity(*certificate.pem())
