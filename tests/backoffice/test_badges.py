"""Status badges: one tone per status code, from backoffice.badges' one map, at AA contrast,
in the partial and in the tables' badge cells alike."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from backoffice.badges import NEUTRAL, TONES, tone

STATIC = Path(settings.BASE_DIR) / "static"


def _luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_tone_reads_at_wcag_aa_contrast():
    bootstrap = (STATIC / "vendor/bootstrap/bootstrap.min.css").read_text()
    light = re.search(r":root,\[data-bs-theme=light\]\{(.*?)\}", bootstrap).group(1)
    variables = dict(re.findall(r"--bs-([\w-]+):(#[0-9a-f]{6})", light))
    css = (STATIC / "css/app.css").read_text()
    for name in set(TONES.values()) | {NEUTRAL}:
        rule = re.search(rf"\.tone-{name} \{{(.*?)\}}", css).group(1)
        assert f"color: var(--bs-{name}-text-emphasis)" in rule and f"background: var(--bs-{name}-bg-subtle)" in rule
        assert _contrast(variables[f"{name}-text-emphasis"], variables[f"{name}-bg-subtle"]) >= 4.5, name


def test_statuses_that_mean_different_things_get_different_tones():
    assert len({tone("paid"), tone("awaiting_payment"), tone("rejected"), tone("in_dispute"),
                tone("shipped"), tone("cancelled")}) == 6
    assert tone("a code nobody mapped") == NEUTRAL


def test_the_badge_partial_takes_the_tone_of_its_status():
    html = render_to_string("partials/badge.html", {"value": "Pago", "status": "paid"})
    assert html.strip() == '<span class="badge rounded-pill tone-success">Pago</span>'
    named = render_to_string("partials/badge.html", {"value": "falha", "tone": "danger"})
    assert "tone-danger" in named


@pytest.mark.django_db
def test_the_list_cells_show_each_status_in_its_tone(client_as):
    from payments.models import Payment, ProviderAccount

    account = ProviderAccount.objects.create(provider="manual", name="Pix da loja")
    for n, status in enumerate(("approved", "rejected")):
        Payment.objects.create(account=account, provider_payment_id=f"P{n}", method="pix", status=status,
                               gross=Decimal("10.00"), net=Decimal("10.00"))
    html = client_as("finance").get("/payments/").content.decode()
    assert '<span class="badge rounded-pill tone-success">aprovado</span>' in html
    assert '<span class="badge rounded-pill tone-danger">recusado</span>' in html
