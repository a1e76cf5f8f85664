"""`fiscal_demo_certificate` makes a self-signed A1 clearly marked as a test certificate for the
fiscal profile's CNPJ (a demo profile when there is none), installs it and can write it to a file."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from fiscal import certificates
from fiscal.demo import DEMO_CNPJ
from fiscal.models import Environment, FiscalProfile

pytestmark = pytest.mark.django_db

def test_the_command_makes_a_demo_profile_and_a_marked_test_certificate(tmp_path):
    out = io.StringIO()
    path = tmp_path / "a1.pfx"
    call_command("fiscal_demo_certificate", "--days", "30", "--output", str(path), stdout=out)
    text = out.getvalue()
    assert "TEST CERTIFICATE" in text and "NO FISCAL VALUE" in text
    profile = FiscalProfile.objects.get()
    assert profile.cnpj == DEMO_CNPJ and profile.certificate_is_test
    password = re.search(r"password: (\S+)\)", text).group(1)
    certificate = certificates.load(path.read_bytes(), password)
    assert certificate.is_test and certificate.cnpj == DEMO_CNPJ
    assert certificate.serial == profile.certificate_serial
    assert path.stat().st_mode & 0o777 == 0o600  # a private key: its owner's alone


def test_the_command_takes_the_cnpj_of_a_new_profile(tmp_path):
    call_command("fiscal_demo_certificate", "--cnpj", "12.ABC.345/01DE-35", stdout=io.StringIO())
    assert FiscalProfile.objects.get().certificate_cnpj == "12ABC34501DE35"


def test_the_command_refuses_another_companys_cnpj_a_bad_cnpj_and_production():
    call_command("fiscal_demo_certificate", stdout=io.StringIO())
    with pytest.raises(CommandError, match="12ABC34501DE35"):
        call_command("fiscal_demo_certificate", "--cnpj", "12ABC34501DE35", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a valid CNPJ"):
        call_command("fiscal_demo_certificate", "--cnpj", "11222333000182", stdout=io.StringIO())
    FiscalProfile.objects.update(environment=Environment.PRODUCTION)
    with pytest.raises(CommandError, match="production"):
        call_command("fiscal_demo_certificate", stdout=io.StringIO())
