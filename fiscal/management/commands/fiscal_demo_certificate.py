"""Make a self-signed TEST A1 certificate for the fiscal profile's CNPJ and install it, so that
`make run` signs homologação invoices for the SEFAZ simulator. It has no fiscal value."""

import os

from django.core.management.base import BaseCommand, CommandError
from stdnum.br import cnpj as cnpj_number

from fiscal.certificates import CertificateError, profile_set_certificate, test_certificate
from fiscal.demo import demo_profile
from fiscal.models import Environment, FiscalProfile


class Command(BaseCommand):
    help = ("Make a self-signed TEST A1 certificate (no fiscal value: homologação only) for the fiscal profile's "
            "CNPJ and install it; a demo fiscal profile is created when there is none.")

    def add_arguments(self, parser):
        parser.add_argument("--cnpj", help="The certificate's CNPJ (digits or alphanumeric; default: the profile's). "
                                           "A demo profile created now gets it too.")
        parser.add_argument("--days", type=int, default=365, help="Days it is valid (default 365).")
        parser.add_argument("--output", metavar="FILE.pfx", help="Also write the PKCS#12 file there.")

    def handle(self, *args, cnpj, days, output, **options):
        if cnpj is not None:
            cnpj = cnpj_number.compact(cnpj).upper()
            if not cnpj_number.is_valid(cnpj):
                raise CommandError(f"--cnpj {cnpj}: not a valid CNPJ.")
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        profile = FiscalProfile.objects.filter(pk=1).first()
        if profile is None:
            profile = demo_profile(cnpj=cnpj)
            self.stdout.write(f"Created the demo fiscal profile: {profile.legal_name}, CNPJ {profile.cnpj}.")
        if profile.environment == Environment.PRODUCTION:
            raise CommandError("The fiscal profile issues in production: a test certificate signs homologação "
                               "invoices only. Switch the profile to homologação first.")
        pfx, password = test_certificate(cnpj=cnpj or profile.cnpj, name=profile.legal_name, days=days)
        try:
            certificate = profile_set_certificate(profile=profile, pfx=pfx, password=password)
        except CertificateError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.WARNING(
            "TEST CERTIFICATE — self-signed, NO FISCAL VALUE: it signs homologação invoices for the SEFAZ "
            "simulator only."))
        self.stdout.write(f"  subject: {certificate.subject}")
        self.stdout.write(f"  CNPJ:    {certificate.cnpj}")
        self.stdout.write(f"  valid until {certificate.not_after:%Y-%m-%d %H:%M} UTC")
        if output:
            # Readable by its owner only: a test certificate, but a private key all the same.
            with open(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(pfx)
            self.stdout.write(f"  written to {output} (password: {password})")
        self.stdout.write(self.style.SUCCESS("Installed on the fiscal profile."))
