"""Promises kept: which parcels on their way are late or at risk (and why) as the days go by, the
home page's notices of them, their list for staff (permission, filters, export, constant queries)
and the daily e-mail to the staff who follow them, sent once a day."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from backoffice.states import events_of
from logistics import promises
from logistics.models import Shipment, TrackingStatus
from logistics.promise_views import promise_notices
from logistics.tasks import flag_late_shipments

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
URL = reverse("logistics:late")
# "Today" in these tests: Thursday 2026-12-10, 09:00 in São Paulo.
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=SAO_PAULO)


def at(day, hour=9):
    return datetime(2026, 12, day, hour, 0, tzinfo=SAO_PAULO)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def make_parcel(consumer_order, carriers):
    """`make_parcel(code, promised_day, …)`: a parcel of the consumer order, shipped by Jadlog on
    2026-12-03 (the flow is not the point here: straight into the database)."""

    def make(code, promised_day, *, status=Shipment.Status.SHIPPED, tracking=TrackingStatus.IN_TRANSIT,
             moved=None, shipped=at(3)):
        return Shipment.objects.create(
            order=consumer_order, service=carriers["package"], status=status, tracking_code=code,
            promised_on=date(2026, 12, promised_day) if promised_day else None, tracking_status=tracking,
            last_event_at=moved, shipped_at=shipped)

    return make


@pytest.fixture
def parcels(make_parcel, now):
    """One parcel for each case, on Thursday 2026-12-10 (a stale parcel: no event for more than 3 days)."""
    return [
        make_parcel("LATE", 8, moved=at(9)),  # promised Tuesday
        make_parcel("LATE-FAILED", 9, tracking=TrackingStatus.FAILED_ATTEMPT, moved=at(9, 15)),  # late comes first
        make_parcel("FAILED", 14, tracking=TrackingStatus.FAILED_ATTEMPT, moved=at(10, 8)),
        make_parcel("PICKUP", 14, tracking=TrackingStatus.AWAITING_PICKUP, moved=at(9)),
        make_parcel("EXCEPTION", 14, tracking=TrackingStatus.EXCEPTION, moved=at(9)),
        make_parcel("STALE", 15, moved=at(6, 8)),  # 4 days and an hour without news
        make_parcel("SILENT", 20, tracking=TrackingStatus.POSTED, moved=None, shipped=at(4)),  # no event, 6 days
        make_parcel("TOMORROW", 11, moved=at(9)),
        make_parcel("TODAY-OUT", 10, tracking=TrackingStatus.OUT_FOR_DELIVERY, moved=at(10, 7)),  # on track
        make_parcel("ON-TRACK", 15, moved=at(9)),
        make_parcel("NO-PROMISE", None, moved=at(9)),
        make_parcel("DELIVERED", 1, status=Shipment.Status.DELIVERED, tracking=TrackingStatus.DELIVERED,
                    moved=at(2)),
        make_parcel("RETURNED", 1, status=Shipment.Status.RETURNED, tracking=TrackingStatus.RETURNED, moved=at(2)),
    ]


def reasons():
    return {shipment.tracking_code: shipment.reason for shipment in promises.watched()}


def test_late_and_at_risk_parcels_are_found_with_their_reason(parcels):
    assert reasons() == {
        "LATE": "late", "LATE-FAILED": "late", "FAILED": "failed_attempt", "PICKUP": "awaiting_pickup",
        "EXCEPTION": "exception", "STALE": "stale", "SILENT": "stale", "TOMORROW": "due_soon"}
    assert promises.watch_counts() == {"late": 2, "at_risk": 6}


def test_days_late_count_from_the_promised_date(parcels):
    late = {s.tracking_code: promises.days_late(s, date(2026, 12, 10)) for s in promises.watched()}
    assert late["LATE"] == 2 and late["LATE-FAILED"] == 1 and late["TOMORROW"] == 0


def test_as_days_pass_a_due_parcel_becomes_late_and_an_out_one_stays_on_track(parcels, now):
    now.move_to(at(11, 9), tick=False)  # Friday: TOMORROW is due today, TODAY-OUT is a day late
    found = reasons()
    assert found["TOMORROW"] == "due_soon" and found["TODAY-OUT"] == "late"
    now.move_to(at(12, 9), tick=False)
    assert reasons()["TOMORROW"] == "late"


def test_the_days_without_movement_are_a_setting(parcels, settings, now):
    settings.LOGISTICS_STALE_DAYS = 5
    found = reasons()
    assert "STALE" not in found and found["SILENT"] == "stale"
    settings.LOGISTICS_STALE_DAYS = 1
    assert "ON-TRACK" not in reasons()  # its last event was yesterday at 09:00: a day, not more
    now.shift(timedelta(minutes=1))
    assert reasons()["ON-TRACK"] == "stale"


def test_the_home_page_notices_count_them_and_link_to_the_list(parcels):
    with translation.override("en"):
        late, at_risk = promise_notices()
    assert late.text == "2 parcels are late: past the date promised to the customer."
    assert late.level == "danger" and late.url == f"{URL}?watch=late"
    assert at_risk.text == "6 parcels are at risk of being late."
    assert at_risk.level == "warning" and at_risk.url == f"{URL}?watch=at_risk"


def test_no_notice_when_every_promise_is_on_track(make_parcel, now):
    make_parcel("ON-TRACK", 15, moved=at(9))
    assert promise_notices() == []


def test_the_list_needs_the_permission_to_see_parcels(client_as, parcels):
    assert client_as("ops").get(URL).status_code == 403


@pytest.fixture
def staff_client(client_as, now):
    client = client_as("staff")  # logged in on the tests' day: the session would have expired since
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def codes_in(page: str, parcels) -> set[str]:
    return {p.tracking_code for p in parcels if f">{p.tracking_code}<" in page}


def test_staff_see_the_late_and_at_risk_parcels_with_their_reason(staff_client, parcels):
    response = staff_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert codes_in(page, parcels) == {"LATE", "LATE-FAILED", "FAILED", "PICKUP", "EXCEPTION", "STALE", "SILENT",
                                       "TOMORROW"}
    assert "past the promised date" in page and "due by tomorrow, not out for delivery" in page
    assert f'href="{reverse("orders:order_detail", args=[parcels[0].order_id])}"' in page


@pytest.mark.parametrize("query,expected", [
    ({"watch": "late"}, {"LATE", "LATE-FAILED"}),
    ({"watch": "at_risk"}, {"FAILED", "PICKUP", "EXCEPTION", "STALE", "SILENT", "TOMORROW"}),
    ({"reason": "stale"}, {"STALE", "SILENT"}),
    ({"q": "pickup"}, {"PICKUP"}),
])
def test_the_list_filters_by_reason_and_search(staff_client, parcels, query, expected):
    assert codes_in(staff_client.get(URL, query).content.decode(), parcels) == expected


def test_the_list_exports_its_rows(staff_client, parcels):
    response = staff_client.get(URL, {"export": "csv", "watch": "late"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["Reason", "Order", "Carrier", "Service", "Tracking code", "Promised for"]
    by_code = {row[4]: row for row in rows[1:]}
    assert set(by_code) == {"LATE", "LATE-FAILED"}
    assert by_code["LATE"][0] == "past the promised date" and by_code["LATE"][6] == "2"


def test_the_list_asks_the_same_queries_whatever_the_number_of_rows(staff_client, make_parcel, now):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(URL).status_code == 200
        return len(captured)

    make_parcel("LATE-1", 8)
    few = queries()
    for n in range(2, 12):
        make_parcel(f"LATE-{n}", 8)
    assert queries() == few


@pytest.fixture
def followers(role_user):
    """Who gets the daily e-mail: staff with an e-mail, who ship the parcels; not a manager (who sees
    them on the home page), nor ops, nor a staff member without an e-mail."""
    role_user("staff", username="paula", email="paula@loja.example")
    role_user("manager", username="marcos", email="marcos@loja.example")
    role_user("staff", username="sem-email", email="")
    role_user("ops", username="otavio", email="otavio@loja.example")
    return ["paula@loja.example"]


def test_the_daily_email_lists_them_to_staff_once_a_day(parcels, followers, now):
    mail.outbox.clear()
    assert flag_late_shipments() == {"late": 2, "at_risk": 6, "emailed": 1}
    [message] = mail.outbox
    assert sorted(message.to) == followers
    assert "10/12/2026" in message.subject
    for code in ("LATE", "LATE-FAILED", "FAILED", "PICKUP", "EXCEPTION", "STALE", "SILENT", "TOMORROW"):
        assert f" {code}:" in message.body, code
    assert "ON-TRACK" not in message.body and "DELIVERED" not in message.body
    assert "08/12/2026" in message.body  # the late one's promise, as Brazilians write dates
    assert settings.SITE_URL.rstrip("/") + URL in message.body
    # Each parcel keeps on its timeline that it was in the day's e-mail, and why.
    late = parcels[0]
    [event] = [e for e in events_of(late) if e.code == promises.REPORTED]
    with translation.override("en"):
        assert event.text == "In the day's e-mail of late and at-risk parcels: past the promised date."
    # A second run the same day sends nothing, and still gives the counts.
    now.move_to(at(10, 18), tick=False)
    assert flag_late_shipments() == {"late": 2, "at_risk": 6, "emailed": 0}
    assert len(mail.outbox) == 1
    # The next day's list goes out.
    now.move_to(at(11, 9), tick=False)
    assert flag_late_shipments()["emailed"] == 1
    assert len(mail.outbox) == 2


def test_no_email_when_nothing_is_late_or_at_risk(make_parcel, followers, now):
    make_parcel("ON-TRACK", 15, moved=at(9))
    mail.outbox.clear()
    assert flag_late_shipments() == {"late": 0, "at_risk": 0, "emailed": 0}
    assert mail.outbox == []
