"""Carriers with an API, as the logistics app sees them: the client's base (`CarrierProvider`: make a
parcel's label, read its tracking), what they answer in our terms, and the one registry (`CARRIERS`).
Each is a folder here (`<code>/`: the client, its sandbox and its contract samples)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from backoffice.integrations.base import Provider
from backoffice.integrations.registry import Registry


@dataclass(frozen=True)
class Parcel:
    """What a carrier needs to take one parcel: who sends and who receives it (names, documents,
    addresses: dicts of name, document, phone, email, cep, street, number, complement, district, city,
    uf), the service's code, its size and weight, the declared value and the NF-e's key."""

    reference: str  # ours: the shipment's id, for the carrier to give back
    service_code: str
    sender: dict
    recipient: dict
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    declared_value: Decimal
    invoice_key: str = ""
    invoice_number: str = ""
    items: list[dict] = field(default_factory=list)  # name, quantity, unit value


@dataclass(frozen=True)
class Label:
    """The carrier's answer for a parcel: its tracking code, its own id for it, its label as a PDF."""

    tracking_code: str
    carrier_reference: str
    pdf: bytes
    cost: Decimal | None = None


@dataclass(frozen=True)
class ReportedEvent:
    """One tracking event as a carrier reports it: its moment (aware), its code and type (which
    together mean the status: `status` is one of logistics.models.TrackingStatus), description and
    place, and the event as received."""

    tracking_code: str
    occurred_at: datetime
    code: str
    kind: str
    status: str
    description: str = ""
    place: str = ""
    raw: dict = field(default_factory=dict)


class CarrierProvider(Provider):
    """A carrier's client. `carrier` is the logistics.models.Carrier whose credentials it uses. One that
    `notifies` (its webhooks report the parcels' events: logistics.notifications) reads them with
    `notified_events`, after Provider's `verify` and `resource_id`."""

    notifies = False

    def label(self, carrier, parcel: Parcel) -> Label:
        """The parcel registered with the carrier and its label made; ProviderError when the carrier
        refuses or fails."""
        raise NotImplementedError

    def track(self, carrier, tracking_codes: list[str]) -> list[ReportedEvent]:
        """Every event the carrier reports for each of `tracking_codes`; ProviderError when it fails."""
        raise NotImplementedError

    def notified_events(self, carrier, *, body: bytes, received_at: datetime) -> list[ReportedEvent]:
        """The events a verified notification reports (WebhookMalformed when it cannot be read)."""
        raise NotImplementedError


# Every carrier with an API, registered once: the Carrier model's choices read this list.
CARRIERS = Registry()
CARRIERS.add("correios", "Correios", "logistics.providers.correios.Correios",
             sandbox="logistics.providers.correios.sandbox.CorreiosSandbox")
CARRIERS.add("melhorenvio", "Melhor Envio", "logistics.providers.melhorenvio.MelhorEnvio",
             sandbox="logistics.providers.melhorenvio.sandbox.MelhorEnvioSandbox")


def choices():
    """The provider field's choices (a callable: a carrier added here needs no migration)."""
    return CARRIERS.choices()


provider = CARRIERS.provider
sandbox = CARRIERS.sandbox
