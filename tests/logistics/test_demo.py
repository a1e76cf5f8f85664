"""`seed_demo` gives the demo store its logistics: carriers with tables, boxes, shelves, a parcel for
each order the orders demo shipped — its tracking code the one its timeline noted, packed and
shipped when the order was, delivered when the order was — parcels in every state, a few returns;
nothing doubled on a second run, no e-mail sent for the past."""

import io
import re
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from backoffice.models import TimelineEvent
from inventory.models import StockLevel
from logistics.models import Carrier, FreightRate, ReturnRequest, Shipment, TrackingEvent, TrackingStatus
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", "--orders", "40", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def moves(to_status):
    events = TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(Order), to_status=to_status)
    return {event.object_id: event for event in events.order_by("-created_at")}


def test_each_shipped_order_has_its_parcel_as_its_timeline_tells(seeded):
    shipped, delivered = moves("shipped"), moves("delivered")
    assert shipped
    for order_id, event in shipped.items():
        [parcel] = Shipment.objects.filter(order_id=order_id)
        noted = re.search(r"rastreio (\w+)", event.params.get("text", ""))
        assert parcel.tracking_code == noted.group(1)
        assert parcel.shipped_at == event.created_at
        assert parcel.items.count() == parcel.order.items.count()
        assert all(item.packed == item.quantity for item in parcel.items.all())
        if order_id in delivered:
            assert parcel.status == Shipment.Status.DELIVERED
            assert parcel.delivered_at == delivered[order_id].created_at
            newest = parcel.tracking_events.first()
            assert (newest.status, newest.occurred_at) == (TrackingStatus.DELIVERED, parcel.delivered_at)
        else:
            assert parcel.status in (Shipment.Status.SHIPPED, Shipment.Status.RETURNED)
        times = [event.occurred_at for event in parcel.tracking_events.order_by("occurred_at")]
        assert times and times[0] > parcel.shipped_at


def test_the_demo_has_carriers_parcels_in_every_state_and_returns(seeded):
    assert Carrier.objects.get(code="correios").provider == "correios"
    assert FreightRate.objects.filter(service__carrier__code="jadlog", cep_start="30000000").count() == 7
    assert not StockLevel.objects.filter(location="").exists()
    states = Counter(Shipment.objects.values_list("status", flat=True))
    assert {"packing", "packed", "shipped", "delivered"} <= set(states)
    assert ReturnRequest.objects.exists()
    assert TrackingEvent.objects.count() > states["delivered"] * 2
    assert not mail.outbox


def test_seeding_again_adds_nothing(seeded):
    counts = (Shipment.objects.count(), TrackingEvent.objects.count(), ReturnRequest.objects.count(),
              FreightRate.objects.count())
    call_command("seed_demo", "--orders", "40", stdout=io.StringIO())
    assert (Shipment.objects.count(), TrackingEvent.objects.count(), ReturnRequest.objects.count(),
            FreightRate.objects.count()) == counts
