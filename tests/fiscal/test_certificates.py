"""The A1 certificate: reading a PKCS#12, what it says of its holder, the test certificate, and
keeping it on the fiscal profile (encrypted, described, audited)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.db import connection
from django.utils import translation

from backoffice.integrations.http import ClientIdentity
from backoffice.models import AuditEvent
from fiscal import certificates
from fiscal.certificates import CertificateError
from fiscal.models import FiscalProfile
from orders.models import City

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pfx_of(*, common_name: str, other_name: bytes | None = None, days=(-10, 365), key=RSA_KEY, password="secret",
           with_key=True) -> bytes:
    """A PKCS#12 as a certification authority would issue one (not our test certificate)."""
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ICP-Brasil"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(0x1F2E3D).not_valid_before(now + timedelta(days=days[0]))
               .not_valid_after(now + timedelta(days=days[1])))
    if other_name is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.OtherName(certificates.CNPJ_OID, other_name), x509.RFC822Name("fiscal@example.com")]),
            critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    return pkcs12.serialize_key_and_certificates(
        name=b"a1", key=key if with_key else None, cert=certificate if with_key else None,
        cas=None if with_key else [certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode()))


@pytest.fixture
def profile(db):
    return FiscalProfile.objects.create(
        pk=1, legal_name="Loja Teste Ltda", cnpj="34128745000152", state_registration="110042490114",
        cep="01310100", street="Avenida Paulista", number="1000", district="Bela Vista",
        city=City.objects.get(code="3550308"))


def test_the_test_certificate_is_clearly_marked_and_names_its_cnpj():
    pfx, password = certificates.test_certificate(cnpj="12abc34501de35", name="Loja Ação Ltda", days=30)
    certificate = certificates.load(pfx, password)
    assert certificate.is_test and not certificate.expired
    assert certificate.cnpj == "12ABC34501DE35"
    assert certificate.common_name == "LOJA AÇÃO LTDA CERTIFICADO DE TESTE SEM VALOR:12ABC34501DE35"
    assert "O=TESTE - SEM VALOR FISCAL" in certificate.subject
    assert timedelta(days=29) < certificate.not_after - datetime.now(UTC) <= timedelta(days=30)
    assert certificate.certificate.public_key().key_size == 2048
    assert certificate.serial == format(certificate.certificate.serial_number, "X")
    assert len(password) >= 16


def test_a_test_certificate_may_be_valid_from_the_past():
    since = datetime.now(UTC) - timedelta(days=120)
    certificate = certificates.load(*certificates.test_certificate(cnpj="34128745000152", name="Loja",
                                                                   valid_from=since, days=10))
    assert certificate.not_before == since.replace(microsecond=0)
    assert timedelta(days=9) < certificate.not_after - datetime.now(UTC) <= timedelta(days=10)


def test_a_long_name_is_shortened_to_keep_the_mark_and_the_cnpj():
    certificate = certificates.load(*certificates.test_certificate(cnpj="34128745000152", name="Ç" * 80))
    assert len(certificate.common_name.encode()) == 64 and certificate.common_name.startswith("Ç" * 9 + " ")
    assert certificate.common_name.endswith(" CERTIFICADO DE TESTE SEM VALOR:34128745000152")


@pytest.mark.parametrize("other_name", [
    b"\x13\x0e34128745000152",  # PrintableString
    b"\x04\x0e34128745000152",  # OCTET STRING
    b"\x0c\x0e34128745000152",  # UTF8String
])
def test_it_reads_the_cnpj_from_icp_brasils_other_name(other_name):
    certificate = certificates.load(pfx_of(common_name="LOJA TESTE LTDA", other_name=other_name), "secret")
    assert certificate.cnpj == "34128745000152"
    assert not certificate.is_test


def test_without_the_other_name_it_reads_the_cnpj_at_the_end_of_the_common_name():
    certificate = certificates.load(pfx_of(common_name="LOJA TESTE LTDA:34128745000152"), "secret")
    assert certificate.cnpj == "34128745000152"
    assert certificates.load(pfx_of(common_name="FULANO DE TAL"), "secret").cnpj == ""


def test_an_expired_certificate_loads_and_says_so():
    certificate = certificates.load(pfx_of(common_name="LOJA:34128745000152", days=(-400, -1)), "secret")
    assert certificate.expired


@pytest.mark.parametrize("data, password, message", [
    (pfx_of(common_name="LOJA:34128745000152"), "wrong", "Wrong password for this certificate."),
    (b"not a certificate", "secret", "This file is not a PKCS#12 certificate (.pfx or .p12)."),
    (pfx_of(common_name="LOJA:34128745000152", with_key=False), "secret",
     "This file holds no private key and certificate: an A1 certificate has both."),
    (pfx_of(common_name="LOJA:34128745000152", key=ec.generate_private_key(ec.SECP256R1())), "secret",
     "The certificate's key is not an RSA key, as SEFAZ requires."),
])
def test_it_explains_why_a_file_cannot_be_used(data, password, message):
    with translation.override("en"), pytest.raises(CertificateError) as raised:
        certificates.load(data, password)
    assert str(raised.value) == message


def test_a_pem_file_is_not_taken_for_a_pkcs12():
    pem = certificates.load(*certificates.test_certificate(cnpj="34128745000152", name="Loja")).pem()[0]
    with translation.override("en"), pytest.raises(CertificateError, match="not a PKCS#12"):
        certificates.load(pem, "x")


def test_it_keeps_the_certificate_encrypted_and_described_on_the_profile(profile, role_user):
    user = role_user("finance")
    pfx, password = certificates.test_certificate(cnpj="34128745000152", name="Loja Teste")
    certificate = certificates.profile_set_certificate(profile=profile, pfx=pfx, password=password, user=user)
    profile.refresh_from_db()
    assert profile.certificate == {"pfx": base64.b64encode(pfx).decode(), "password": password}
    assert profile.certificate_cnpj == "34128745000152" and profile.certificate_is_test
    assert profile.certificate_subject == certificate.subject
    assert profile.certificate_serial == certificate.serial
    assert profile.certificate_expires_at == certificate.not_after
    with connection.cursor() as cursor:
        cursor.execute("SELECT certificate FROM fiscal_fiscalprofile WHERE id = 1")
        stored = cursor.fetchone()[0]
    assert password not in stored and base64.b64encode(pfx).decode()[:40] not in stored
    audit = AuditEvent.objects.get(action="fiscal.certificate")
    assert audit.actor == user and audit.object_id == "1"
    assert audit.changes["certificate_serial"] == ["", certificate.serial]
    assert password not in str(audit.changes) + audit.note


def test_a_branchs_certificate_serves_the_company(profile):
    # Same root (34128745), another establishment (0002).
    pfx = pfx_of(common_name="LOJA TESTE LTDA:34128745000233")
    assert certificates.profile_set_certificate(profile=profile, pfx=pfx, password="secret").cnpj == "34128745000233"


def test_it_refuses_another_companys_certificate_and_one_without_a_cnpj(profile):
    pfx, password = certificates.test_certificate(cnpj="12ABC34501DE35", name="Outra Loja")
    with pytest.raises(CertificateError, match="12ABC34501DE35"):
        certificates.profile_set_certificate(profile=profile, pfx=pfx, password=password)
    with pytest.raises(CertificateError):
        certificates.profile_set_certificate(profile=profile, pfx=pfx_of(common_name="FULANO"), password="secret")
    profile.refresh_from_db()
    assert profile.certificate == {} and profile.certificate_serial == ""
    assert not AuditEvent.objects.filter(action="fiscal.certificate").exists()


def test_the_profiles_certificate_is_read_once_and_again_when_it_changes(profile):
    with pytest.raises(CertificateError):
        certificates.certificate_of(profile)
    pfx, password = certificates.test_certificate(cnpj="34128745000152", name="Loja Teste")
    certificates.profile_set_certificate(profile=profile, pfx=pfx, password=password)
    first = certificates.certificate_of(FiscalProfile.objects.get())
    assert certificates.certificate_of(FiscalProfile.objects.get()) is first
    pfx, password = certificates.test_certificate(cnpj="34128745000152", name="Loja Teste")
    certificates.profile_set_certificate(profile=profile, pfx=pfx, password=password)
    second = certificates.certificate_of(FiscalProfile.objects.get())
    assert second is not first and second.serial != first.serial


def test_the_client_identity_presents_the_certificate_and_its_key():
    certificate = certificates.load(*certificates.test_certificate(cnpj="34128745000152", name="Loja"))
    identity = certificates.client_identity(certificate)
    assert isinstance(identity, ClientIdentity)
    assert x509.load_pem_x509_certificate(identity.cert_chain_pem) == certificate.certificate
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    assert key.public_key().public_numbers() == certificate.key.public_key().public_numbers()
