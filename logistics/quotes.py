"""Freight quotes from the carriers' tables: the parcel's billable weight (the heavier of its real
weight and its cubic weight, length × width × height ÷ the carrier's factor), the table row of the
recipient's CEP and that weight's band, and the date the store can promise (handling plus delivery
days, in business days: no weekends, no national holidays)."""

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import holidays
from django.utils import timezone

from backoffice.money import ZERO

from .models import Box, CarrierService, FreightRate

GRAMS = Decimal("0.001")


@dataclass(frozen=True)
class Parcel:
    """A parcel's real weight and outer size."""

    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm


@dataclass(frozen=True)
class Option:
    """What one service would charge and when it would deliver."""

    service: CarrierService
    price: Decimal
    days: int  # business days, the store's handling included
    billable_weight_kg: Decimal
    promised_on: date


def billable_weight(parcel: Parcel, cubic_factor: int) -> Decimal:
    """The weight a carrier charges: the real weight or the cubic weight, whichever is heavier, to the gram."""
    cubic = parcel.volume_cm3 / Decimal(cubic_factor)
    return max(parcel.weight_kg, cubic).quantize(GRAMS, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=8)
def _national_holidays(year: int):
    return holidays.country_holidays("BR", years=year)


def business_days_after(start: date, days: int) -> date:
    """The business day `days` business days after `start` (weekends and Brazil's national holidays skipped)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _national_holidays(day.year):
            days -= 1
    return day


def service_option(service: CarrierService, *, cep: str, parcel: Parcel, on: date | None = None) -> Option | None:
    """`service`'s price and promise for `parcel` to `cep` from its table (None when the table has no
    row for that CEP, or the parcel is heavier than its heaviest band or the service's limit). A service
    without a table (own fleet, pickup in store) costs nothing and takes its own days."""
    weight = billable_weight(parcel, service.carrier.cubic_factor)
    if weight > service.max_weight_kg:
        return None
    rate = (FreightRate.objects.filter(service=service, cep_start__lte=cep, cep_end__gte=cep,
                                       weight_up_to_kg__gte=weight).order_by("weight_up_to_kg").first())
    if rate is not None:
        price, days = rate.price, rate.days
    elif FreightRate.objects.filter(service=service).exists():
        return None
    else:
        price, days = ZERO, service.days
    total_days = service.handling_days + days
    return Option(service=service, price=price, days=total_days, billable_weight_kg=weight,
                  promised_on=business_days_after(on or timezone.localdate(), total_days))


def _volume(box: Box) -> Decimal:
    return box.length_cm * box.width_cm * box.height_cm


def parcel_of(lines, box: Box | None = None) -> Parcel:
    """The parcel `lines` ((product, quantity) pairs) make in `box` (by default the smallest active box
    that holds their volume and their longest side; the products' own size when no box does): the
    products' gross weight and the box's."""
    lines = list(lines)
    weight = sum((product.gross_weight_kg * quantity for product, quantity in lines), ZERO)
    volume = sum((product.length_cm * product.width_cm * product.height_cm * quantity for product, quantity in lines),
                 ZERO)
    longest = max((max(product.length_cm, product.width_cm, product.height_cm) for product, _quantity in lines),
                  default=ZERO)
    if box is None:
        # The boxes are listed by their sides, not by their volume (a cube of 32 cm comes before an
        # envelope of 36 × 28 × 8): the smallest is the one of least volume.
        box = min((candidate for candidate in Box.objects.filter(active=True)
                   if _volume(candidate) >= volume
                   and max(candidate.length_cm, candidate.width_cm, candidate.height_cm) >= longest),
                  key=_volume, default=None)
    if box is None:
        side = (volume ** (Decimal(1) / 3)).quantize(Decimal("0.1")) if volume else ZERO
        return Parcel(weight_kg=weight, length_cm=max(side, longest), width_cm=side, height_cm=side)
    return Parcel(weight_kg=weight + box.weight_kg, length_cm=box.length_cm, width_cm=box.width_cm,
                  height_cm=box.height_cm)


def order_parcel(order, box: Box | None = None) -> Parcel:
    """The parcel `order`'s items make (parcel_of)."""
    return parcel_of(((item.product, item.quantity) for item in order.items.select_related("product")), box)


def options_for(cep: str, parcel: Parcel, *, on: date | None = None) -> list[Option]:
    """Every active service's option for `parcel` to `cep`, cheapest first (then fastest);
    `sorted(…, key=lambda o: (o.days, o.price))` gives them fastest first."""
    services = CarrierService.objects.filter(active=True, carrier__active=True).select_related("carrier")
    options = [option for service in services
               if (option := service_option(service, cep=cep, parcel=parcel, on=on)) is not None]
    return sorted(options, key=lambda option: (option.price, option.days, option.service.pk))


def quote(order, *, box: Box | None = None, on: date | None = None) -> list[Option]:
    """The options for `order`'s parcel to its shipping CEP (options_for)."""
    return options_for(order.ship_cep, order_parcel(order, box), on=on)
