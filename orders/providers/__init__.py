"""The external systems of customers' addresses: the CEP lookup, one folder per provider
(`<code>/`: its client behind `CepLookup`, its sandbox and its contract samples), registered
once in CEP_LOOKUPS. Logistics asks the same lookup (orders is to its left)."""

from dataclasses import dataclass

from django.conf import settings
from django.core import checks

from backoffice.integrations.base import Provider
from backoffice.integrations.registry import Registry


@dataclass(frozen=True)
class Place:
    """What a CEP lookup says of a CEP, in our terms (empty texts where it says nothing: a town
    with one CEP has no street)."""

    cep: str  # 8 digits
    street: str
    district: str
    city_code: str  # IBGE, as City.code
    city_name: str
    uf: str


class CepLookup(Provider):
    """A CEP lookup's client: no webhooks, one call."""

    def place(self, cep: str) -> Place | None:
        """The place at `cep` (8 digits); None when the lookup does not know it; ProviderError
        when it fails or does not answer in time."""
        raise NotImplementedError


CEP_LOOKUPS = Registry()
CEP_LOOKUPS.add("viacep", "ViaCEP", "orders.providers.viacep.ViaCep",
                sandbox="orders.providers.viacep.sandbox.ViaCepSandbox")

sandbox = CEP_LOOKUPS.sandbox  # its sandbox over the documents kept in the database


def place_of(cep: str) -> Place | None:
    """The place at `cep` (8 digits) by the lookup the CEP_LOOKUP setting names; None when the
    setting turns the lookup off or the lookup does not know the CEP; ProviderError when it fails."""
    if not settings.CEP_LOOKUP:
        return None
    return CEP_LOOKUPS.provider(settings.CEP_LOOKUP).place(cep)


def cep_lookup_check(app_configs, **kwargs):
    """CEP_LOOKUP names a registered lookup, or is empty."""
    if settings.CEP_LOOKUP and settings.CEP_LOOKUP not in CEP_LOOKUPS:
        return [checks.Error(f"CEP_LOOKUP is {settings.CEP_LOOKUP!r}, not one of {', '.join(CEP_LOOKUPS)}.",
                             id="orders.E001", hint="Set CEP_LOOKUP to a registered lookup, or empty to turn it off.")]
    return []
