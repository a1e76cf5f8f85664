"""The writes of the fiscal settings screens: the profile, the numbering series (whose next number
only moves forward), the tax rules and the states' ICMS rates, each audited. Forms have checked
the values; what depends on the database (the certificate stored, another user's edit) is
checked here, under the row's lock."""

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from backoffice.audit import audit_record

from .models import Environment, FiscalProfile, Series, StateTaxRate, TaxRule

PROFILE_FIELDS = ["legal_name", "trade_name", "cnpj", "state_registration", "municipal_registration", "cnae",
                  "regime", "cep", "street", "number", "complement", "district", "city", "phone", "environment",
                  "accountant_email"]
SERIES_FIELDS = ["environment", "number", "next_number", "active"]


class SettingsError(ValueError):
    """A change the settings refuse, with a message for the user."""


def _audit(obj, action: str, user, before: dict, fields) -> None:
    audit_record(actor=user, action=f"{type(obj)._meta.model_name}.{action}", obj=obj, before=before,
                 after=model_to_dict(obj, fields=fields))


def profile_save(*, profile: FiscalProfile, user) -> FiscalProfile:
    """Create or change the store's fiscal profile (its one row) with what its form took; the
    certificate is kept as it is stored (only its own upload changes it). Production needs a
    certificate of fiscal value: a test certificate signs homologation's invoices only."""
    with transaction.atomic():
        stored = FiscalProfile.objects.select_for_update().filter(pk=1).first()
        if stored is not None and profile.environment == Environment.PRODUCTION and stored.certificate_is_test:
            raise SettingsError(_("A test certificate has no fiscal value: upload the store's A1 certificate "
                                  "before issuing in production."))
        profile.pk = 1
        if stored is None:
            profile.save(force_insert=True)
            _audit(profile, "create", user, {}, PROFILE_FIELDS)
        else:
            profile.save(update_fields=[*PROFILE_FIELDS, "updated_at"])
            _audit(profile, "update", user, model_to_dict(stored, fields=PROFILE_FIELDS), PROFILE_FIELDS)
    return profile


def series_save(*, series: Series, user) -> Series:
    """Create a series, or change one: its next number moves forward only (a number taken is
    never given again; the numbers skipped must be voided)."""
    with transaction.atomic():
        if series.pk is None:
            series.save()
            _audit(series, "create", user, {}, SERIES_FIELDS)
            return series
        stored = Series.objects.select_for_update().get(pk=series.pk)
        if series.next_number < stored.next_number:
            raise SettingsError(_("The next number of series %(series)s is %(next)d already: it only moves "
                                  "forward.") % {"series": stored.number, "next": stored.next_number})
        series.environment, series.number = stored.environment, stored.number
        series.save(update_fields=["next_number", "active"])
        _audit(series, "update", user, model_to_dict(stored, fields=SERIES_FIELDS), SERIES_FIELDS)
    return series


TAX_RULE_FIELDS = [field.name for field in TaxRule._meta.concrete_fields if field.name != "id"]


def tax_rule_save(*, rule: TaxRule, user) -> TaxRule:
    """Create or change a tax rule. Invoices already issued keep the figures they were issued with
    (their items hold them)."""
    with transaction.atomic():
        before = model_to_dict(TaxRule.objects.get(pk=rule.pk), fields=TAX_RULE_FIELDS) if rule.pk else {}
        rule.save()
        _audit(rule, "update" if before else "create", user, before, TAX_RULE_FIELDS)
    return rule


def tax_rule_set_active(*, rule: TaxRule, active: bool, user) -> TaxRule:
    """Switch a rule on or off (a rule is never deleted: the books name the rules in force)."""
    with transaction.atomic():
        if TaxRule.objects.filter(pk=rule.pk, active=not active).update(active=active):
            audit_record(actor=user, action="taxrule.activate" if active else "taxrule.deactivate", obj=rule,
                         before={"active": not active}, after={"active": active})
        rule.refresh_from_db()
    return rule


def state_rates_save(*, rates: list[StateTaxRate], user) -> int:
    """Save the states' ICMS and FCP rates that changed; how many did."""
    changed = 0
    with transaction.atomic():
        stored = {rate.uf: rate for rate in StateTaxRate.objects.select_for_update().filter(
            uf__in=[rate.uf for rate in rates])}
        for rate in rates:
            before = stored.get(rate.uf)
            if before is not None and (before.icms_rate, before.fcp_rate) == (rate.icms_rate, rate.fcp_rate):
                continue
            rate.save()
            fields = ["icms_rate", "fcp_rate"]
            _audit(rate, "update" if before else "create", user,
                   model_to_dict(before, fields=fields) if before else {}, fields)
            changed += 1
    return changed
