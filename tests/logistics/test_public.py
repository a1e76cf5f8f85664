"""The customers' tracking page: the order's parcels and their events only for the right order
number and buyer's CPF/CNPJ (typed with punctuation or without, alphanumeric CNPJ too), one answer
that tells nothing for any other pair, lookups limited per address and per order, nothing cached
or indexed."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from logistics import services
from logistics.models import ReturnRequest, Shipment, TrackingEvent, TrackingStatus
from logistics.providers import ReportedEvent
from tests.fiscal.conftest import alphanumeric_company_order  # noqa: F401 (fixture)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
URL = reverse("logistics:track")
MARIA_CPF = "390.533.447-05"  # the consumer order's customer, Maria da Silva
NOT_FOUND = "We found no order with this number and document."
# The CSRF tokens each page carries are masked anew at each rendering; the number typed comes back in the form.
TYPED = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|name="number" value=")[^"]+')


@pytest.fixture(autouse=True)
def _fresh_counters():
    """The lookups' counters live in the cache, which outlives each test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def reported(code, status, when, place):
    return ReportedEvent(tracking_code="X", occurred_at=when, code=code, kind="01", status=status,
                         description=f"{code} event", place=place, raw={"codigo": code})


@pytest.fixture
def tracked(invoiced_order, carriers, boxes, packer, time_machine):
    """Maria's invoiced order packed and shipped by Jadlog (JD123456) on 2026-12-02, posted that
    afternoon and in transit the next morning."""
    time_machine.move_to(datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO))
    shipment = services.shipment_start(order=invoiced_order, service=carriers["package"], user=packer, box=boxes[0])
    for item in shipment.items.select_related("order_item"):
        services.shipment_scan(shipment=shipment, code=item.order_item.sku, user=packer, quantity=item.quantity)
    services.shipment_pack(shipment=shipment, user=packer, weight_kg=Decimal("0.750"))
    shipment = services.shipment_ship(shipment=shipment, user=packer, tracking_code="JD123456")
    services.tracking_record(shipment=shipment, source=TrackingEvent.Source.POLL, events=[
        reported("PO", TrackingStatus.POSTED, datetime(2026, 12, 2, 15, 0, tzinfo=SAO_PAULO), "SAO PAULO/SP"),
        reported("RO", TrackingStatus.IN_TRANSIT, datetime(2026, 12, 3, 9, 5, tzinfo=SAO_PAULO), "BARUERI/SP"),
    ])
    return shipment


def look_up(client, number, document, **extra):
    return client.post(URL, {"number": number, "document": document}, **extra)


def without_typed(response) -> str:
    return TYPED.sub(r"\1", response.content.decode())


def test_the_page_opens_with_an_empty_accessible_form_that_reveals_nothing(client, tracked):
    # Even with the pair in the address: only a posted form looks an order up.
    response = client.get(URL, {"number": tracked.order.number, "document": MARIA_CPF})
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("number", "document"):
        assert f'<label class="form-label" for="id_{field}">' in page
    assert re.search(r'<input[^>]*name="document"[^>]*autocomplete="off"', page)
    assert 'method="post"' in page and "csrfmiddlewaretoken" in page
    assert "JD123456" not in page and NOT_FOUND not in page
    assert response["Content-Language"] == "pt-br" and '<html lang="pt-br">' in page  # the store's language first


def test_the_right_pair_shows_the_parcels_and_their_events_and_nothing_else(english, tracked):
    order = tracked.order
    response = look_up(english, f"#{order.number}", MARIA_CPF)  # punctuated, as printed
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your order #%d" % order.number in page and "Hello, Maria!" in page
    assert "Jadlog .Package" in page
    assert 'href="https://www.jadlog.com.br/tracking?cte=JD123456"' in page
    assert "08/12/2026" in page  # promised: 3 days' table + 1 handling day, in business days
    assert re.findall(r"<td[^>]*>(\d\d/\d\d/\d{4} \d\d:\d\d)</td><td>([^<]+)</td><td>([^<]*)</td>", page) == [
        ("03/12/2026 09:05", "in transit", "BARUERI/SP"), ("02/12/2026 15:00", "posted", "SAO PAULO/SP")]
    # Nothing beyond the first name and the tracking: no surname, document, e-mail, address or prices.
    for secret in ("Silva", MARIA_CPF, "39053344705", order.customer.email, "Paulista", order.ship_cep, "59,90",
                   "59.90", "Camiseta"):
        assert secret not in page, secret


def test_the_document_may_be_typed_without_punctuation(english, tracked):
    assert "JD123456" in look_up(english, tracked.order.number, " 39053344705 ").content.decode()


def test_an_alphanumeric_cnpj_is_matched_as_typed_in_any_case(english, alphanumeric_company_order, carriers):
    order = alphanumeric_company_order
    shipment = Shipment.objects.create(order=order, service=carriers["sedex"], status=Shipment.Status.SHIPPED,
                                       tracking_code="AB123456789BR", tracking_status=TrackingStatus.OUT_FOR_DELIVERY)
    TrackingEvent.objects.create(shipment=shipment, occurred_at=datetime(2026, 12, 4, 8, 30, tzinfo=SAO_PAULO),
                                 code="OEC", status=TrackingStatus.OUT_FOR_DELIVERY, place="CURITIBA/PR",
                                 source=TrackingEvent.Source.WEBHOOK)
    page = look_up(english, order.number, "12.abc.345/01de-35").content.decode()
    assert "AB123456789BR" in page and "04/12/2026 08:30" in page and "out for delivery" in page
    assert "Hello, Nova!" in page and "Distribuidora" not in page


def test_a_wrong_document_and_an_unknown_order_get_the_same_answer(english, tracked):
    order = tracked.order
    wrong_document = look_up(english, order.number, "529.982.247-25")  # a valid CPF, someone else's
    unknown_order = look_up(english, 999999, MARIA_CPF)
    for response in (wrong_document, unknown_order):
        assert response.status_code == 200
        page = response.content.decode()
        assert NOT_FOUND in page
        assert "JD123456" not in page and "Maria" not in page and "Jadlog" not in page
    # The same page but for the number typed again in the form.
    assert without_typed(wrong_document) == without_typed(unknown_order)


def test_a_malformed_document_is_a_form_error_not_a_lookup(english, tracked):
    response = look_up(english, tracked.order.number, "390.533.447-00")
    page = response.content.decode()
    assert "Invalid CPF: check the digits." in page
    assert NOT_FOUND not in page and "JD123456" not in page
    assert "Type the order number" in look_up(english, "12a", MARIA_CPF).content.decode()


def test_lookups_of_one_order_are_limited_even_with_the_right_pair(english, tracked, settings, time_machine):
    settings.LOGISTICS_TRACK_PER_ORDER = 2
    number = tracked.order.number
    assert NOT_FOUND in look_up(english, number, "529.982.247-25").content.decode()
    assert NOT_FOUND in look_up(english, number, "111.444.777-35").content.decode()
    refused = look_up(english, number, MARIA_CPF)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Too many lookups in a short time" in page and "JD123456" not in page
    assert 0 < int(refused["Retry-After"]) <= 901
    assert "no-store" in refused["Cache-Control"] and "noindex" in refused["X-Robots-Tag"]
    time_machine.shift(timedelta(seconds=int(refused["Retry-After"])))  # the window is over
    assert "JD123456" in look_up(english, number, MARIA_CPF).content.decode()


def test_lookups_from_one_address_are_limited_whatever_the_order(english, tracked, settings):
    settings.LOGISTICS_TRACK_PER_ADDRESS = 3
    for number in (1001, 1002, 1003):
        assert look_up(english, number, MARIA_CPF).status_code == 200
    assert look_up(english, 1004, MARIA_CPF).status_code == 429
    # Another address is counted apart.
    other = look_up(english, tracked.order.number, MARIA_CPF, REMOTE_ADDR="203.0.113.9")
    assert "JD123456" in other.content.decode()


def test_answers_are_neither_stored_nor_indexed(client, tracked):
    for response in (client.get(URL), look_up(client, tracked.order.number, MARIA_CPF),
                     look_up(client, 999999, MARIA_CPF)):
        assert "no-store" in response["Cache-Control"]
        assert "noindex" in response["X-Robots-Tag"]


def test_the_form_needs_its_csrf_token(tracked):
    client = Client(enforce_csrf_checks=True)
    assert look_up(client, tracked.order.number, MARIA_CPF).status_code == 403


def test_an_order_not_shipped_yet_says_so_without_parcels(english, consumer_order):
    page = look_up(english, consumer_order.number, MARIA_CPF).content.decode()
    assert 'data-testid="no-parcel"' in page and 'data-testid="parcel"' not in page


@pytest.fixture
def delivered(tracked, time_machine):
    """The parcel delivered on Friday 2026-12-04 at 17:00, São Paulo's time."""
    services.tracking_record(shipment=tracked, source=TrackingEvent.Source.POLL, events=[
        reported("BDE", TrackingStatus.DELIVERED, datetime(2026, 12, 4, 17, 0, tzinfo=SAO_PAULO), "SAO PAULO/SP")])
    time_machine.move_to(datetime(2026, 12, 6, 10, 0, tzinfo=SAO_PAULO))
    return tracked.order


def return_form_of(response) -> dict:
    """The return form's hidden token and its items' fields, as the page holds them."""
    form = response.context["return_form"]
    return {"token": form.initial["token"], **{name: 0 for name in form.fields if name.startswith("item_")}}


def test_a_delivered_order_offers_its_return_and_the_customer_asks_for_it(english, delivered):
    page = look_up(english, delivered.number, MARIA_CPF)
    assert 'data-testid="ask-return"' in page.content.decode()
    data = return_form_of(page)
    shirt = delivered.items.get(sku="CAM-AZ-M")
    data.update({f"item_{shirt.pk}": 1, "reason": "regret", "details": "Ficou pequena."})
    response = english.post(reverse("logistics:track_return"), data)
    assert response.status_code == 200
    asked = ReturnRequest.objects.get()
    assert (asked.by_customer, asked.reason, asked.details, asked.status) == (True, "regret", "Ficou pequena.",
                                                                              "requested")
    assert [(item.order_item.sku, item.quantity) for item in asked.items.all()] == [("CAM-AZ-M", 1)]
    page = response.content.decode()
    assert f"We received your return request #{asked.pk}" in page and f"Return #{asked.pk}: requested" in page
    # One more T-shirt and the cap may still come back.
    assert response.context["return_form"].fields[f"item_{shirt.pk}"].choices[-1] == (1, 1)


def test_the_return_form_says_what_is_wrong_and_asks_nothing(english, delivered, time_machine):
    data = return_form_of(look_up(english, delivered.number, MARIA_CPF))
    response = english.post(reverse("logistics:track_return"), {**data, "reason": "regret"})  # no unit chosen
    assert response.status_code == 400 and "Say how many units of each item come back." in response.content.decode()
    time_machine.move_to(datetime(2026, 12, 12, 10, 0, tzinfo=SAO_PAULO))  # past the 7 days
    data = return_form_of(look_up(english, delivered.number, MARIA_CPF))
    shirt = delivered.items.get(sku="CAM-AZ-M")
    late = english.post(reverse("logistics:track_return"), {**data, f"item_{shirt.pk}": 1, "reason": "regret"})
    assert late.status_code == 400 and "The 7 days to ask for this return ended on 11/12/2026" in late.content.decode()
    assert not ReturnRequest.objects.exists()


def test_a_forged_or_stale_return_form_asks_nothing_and_reveals_nothing(english, delivered, time_machine):
    data = return_form_of(look_up(english, delivered.number, MARIA_CPF))
    shirt = delivered.items.get(sku="CAM-AZ-M")
    for token in ("1", data["token"][:-2] + "xx", ""):
        response = english.post(reverse("logistics:track_return"), {**data, "token": token, f"item_{shirt.pk}": 1,
                                                                    "reason": "defect"})
        assert response.status_code == 400 and "This page has expired" in response.content.decode()
        assert "Camiseta" not in response.content.decode()
    time_machine.move_to(datetime(2026, 12, 6, 10, 31, tzinfo=SAO_PAULO))  # the form's half hour is over
    stale = english.post(reverse("logistics:track_return"), {**data, f"item_{shirt.pk}": 1, "reason": "defect"})
    assert stale.status_code == 400 and not ReturnRequest.objects.exists()


def test_an_order_not_delivered_offers_no_return(english, tracked):
    assert look_up(english, tracked.order.number, MARIA_CPF).context["return_form"] is None
