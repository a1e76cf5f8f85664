"""The carriers' settings screens: who may see and change them, the forms as Brazilians type
(30,5 kg; 32,5 cm), the API credentials (kept encrypted, a secret never shown back), the lists and
the freight table paged, formatted and filtered, a table deleted once confirmed, and the boxes."""

from decimal import Decimal

import pytest
from django.db import connection

from backoffice.models import AuditEvent
from logistics.models import Box, Carrier, CarrierService, FreightRate
from tests.lists import queries_per_page_size

SECRET = "s3cr3t-access-code-9f8e7d"


def settings_changes():
    """The audit log but the sign-ins."""
    return AuditEvent.objects.exclude(action="user.login")


def carrier_data(**changes):
    return {"code": "loggi", "name": "Loggi", "kind": "carrier", "provider": "", "cubic_factor": "6000",
            "tracking_url": "https://www.loggi.com/rastreador/{code}", "active": "on", **changes}


@pytest.mark.parametrize("url", ["/logistics/carriers/", "/logistics/boxes/"])
def test_the_lists_are_for_who_may_see_the_carriers(client_as, carriers, url):
    assert client_as("manager").get(url).status_code == 200
    assert client_as("ops").get(url).status_code == 403


def test_a_manager_sees_the_settings_but_changes_nothing(client_as, carriers, boxes):
    client = client_as("manager")
    sedex, correios = carriers["sedex"], carriers["correios"]
    assert client.get(f"/logistics/carriers/{correios.pk}/").status_code == 200
    assert client.get(f"/logistics/services/{sedex.pk}/rates/").status_code == 200
    for method, url in [("get", "/logistics/carriers/new/"), ("post", "/logistics/carriers/new/"),
                        ("get", f"/logistics/carriers/{correios.pk}/edit/"),
                        ("post", f"/logistics/carriers/{correios.pk}/active/"),
                        ("get", f"/logistics/carriers/{correios.pk}/credentials/"),
                        ("get", f"/logistics/carriers/{correios.pk}/services/new/"),
                        ("get", f"/logistics/services/{sedex.pk}/edit/"),
                        ("get", f"/logistics/services/{sedex.pk}/rates/delete/"),
                        ("post", f"/logistics/services/{sedex.pk}/rates/delete/"),
                        ("get", "/logistics/boxes/new/"), ("post", f"/logistics/boxes/{boxes[0].pk}/active/")]:
        assert getattr(client, method)(url, carrier_data()).status_code == 403, url
    assert sedex.rates.count() == 6
    correios.refresh_from_db()
    assert correios.active and Box.objects.filter(active=True).count() == 2


def test_staff_create_a_carrier_and_its_service_with_brazilian_numbers(client_as, db):
    client = client_as("staff")
    response = client.post("/logistics/carriers/new/", carrier_data())
    loggi = Carrier.objects.get(code="loggi")
    assert response.status_code == 302 and response["Location"] == f"/logistics/carriers/{loggi.pk}/"
    assert loggi.tracking_link("AB123") == "https://www.loggi.com/rastreador/AB123"
    response = client.post(f"/logistics/carriers/{loggi.pk}/services/new/", {
        "code": "express", "name": "Express", "days": "2", "handling_days": "1", "max_weight_kg": "30,5",
        "active": "on"})
    assert response.status_code == 302
    service = loggi.services.get()
    assert (service.code, service.days, service.max_weight_kg) == ("express", 2, Decimal("30.500"))
    # Its form shows the weight back as it is written here.
    assert 'value="30,500"' in client.get(f"/logistics/services/{service.pk}/edit/").content.decode()
    assert set(settings_changes().values_list("action", flat=True)) == {"carrier.create", "carrierservice.create"}


def test_a_services_code_is_one_per_carrier(client_as, carriers):
    client = client_as("staff")
    data = {"code": "03220", "name": "SEDEX again", "days": "0", "handling_days": "1", "max_weight_kg": "30"}
    response = client.post(f"/logistics/carriers/{carriers['correios'].pk}/services/new/", data)
    assert response.status_code == 200 and response.context["form"].errors["code"]
    # Another carrier may have a service of that code.
    assert client.post(f"/logistics/carriers/{carriers['jadlog'].pk}/services/new/", data).status_code == 302
    assert CarrierService.objects.filter(code="03220").count() == 2


@pytest.mark.parametrize("changes,field", [
    ({"tracking_url": "https://www.loggi.com/rastreador/"}, "tracking_url"),  # where does the code go?
    ({"tracking_url": "javascript:alert(1)//{code}"}, "tracking_url"),
    ({"kind": "own_fleet", "provider": "correios"}, "provider"),  # no API takes the own fleet's parcels
    ({"cubic_factor": "0"}, "cubic_factor"),
    ({"code": "tem espaço"}, "code"),
])
def test_a_wrong_carrier_is_explained_and_not_saved(client_as, db, changes, field):
    response = client_as("staff").post("/logistics/carriers/new/", carrier_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Carrier.objects.exists()


def test_a_carriers_code_stays_once_created(client_as, carriers):
    jadlog = carriers["jadlog"]
    response = client_as("staff").post(f"/logistics/carriers/{jadlog.pk}/edit/", carrier_data(
        code="other", name="Jadlog Logística", cubic_factor="5000", tracking_url=jadlog.tracking_url))
    assert response.status_code == 302
    jadlog.refresh_from_db()
    assert (jadlog.code, jadlog.name) == ("jadlog", "Jadlog Logística")
    event = AuditEvent.objects.get(action="carrier.update")
    assert event.changes == {"name": ["Jadlog", "Jadlog Logística"]}


def test_switching_a_carrier_off_and_on_is_audited_and_safe_to_repeat(client_as, carriers):
    client = client_as("staff")
    jadlog = carriers["jadlog"]
    for _ in range(2):
        response = client.post(f"/logistics/carriers/{jadlog.pk}/active/", {"active": "0"})
        assert response.status_code == 302
    jadlog.refresh_from_db()
    assert not jadlog.active
    client.post(f"/logistics/carriers/{jadlog.pk}/active/", {"active": "1"})
    jadlog.refresh_from_db()
    assert jadlog.active
    assert list(settings_changes().order_by("pk").values_list("action", flat=True)) == [
        "carrier.deactivate", "carrier.activate"]


def test_the_api_credentials_are_kept_encrypted_and_secrets_never_shown_back(client_as, carriers):
    client = client_as("staff")
    correios = carriers["correios"]
    url = f"/logistics/carriers/{correios.pk}/credentials/"
    page = client.get(url).content.decode()
    assert 'name="access_code"' in page and 'type="password"' in page
    response = client.post(url, {"user": "12345678000195", "access_code": SECRET, "posting_card": "0067599079",
                                 "contract": "9912208555"})
    assert response.status_code == 302
    correios.refresh_from_db()
    assert correios.credential("access_code") == SECRET
    with connection.cursor() as cursor:  # at rest: encrypted
        cursor.execute("SELECT credentials FROM logistics_carrier WHERE id = %s", [correios.pk])
        assert SECRET not in cursor.fetchone()[0]
    # Neither the form nor the carrier's page shows the secret again; the other values are shown.
    for page in (client.get(url).content.decode(), client.get(f"/logistics/carriers/{correios.pk}/").content.decode()):
        assert SECRET not in page
        assert "0067599079" in page
    # The secret left empty keeps the one stored; a value changed is audited by its name alone.
    client.post(url, {"user": "12345678000195", "access_code": "", "posting_card": "0067599080",
                      "contract": "9912208555"})
    correios.refresh_from_db()
    assert (correios.credential("access_code"), correios.credential("posting_card")) == (SECRET, "0067599080")
    notes = list(AuditEvent.objects.filter(action="carrier.credentials").order_by("pk").values_list("note", flat=True))
    assert len(notes) == 2 and "posting_card" in notes[1] and "access_code" not in notes[1]
    assert not any(SECRET in note or "0067599080" in note for note in notes)


def test_a_new_credential_is_asked_for_when_none_is_stored(client_as, carriers):
    correios = carriers["correios"]
    response = client_as("staff").post(f"/logistics/carriers/{correios.pk}/credentials/", {
        "user": "12345678000195", "access_code": "", "posting_card": "0067599079"})
    assert response.status_code == 200 and "access_code" in response.context["form"].errors
    correios.refresh_from_db()
    assert correios.credentials == {}


def test_changing_the_integration_drops_the_credentials_of_the_old_one(client_as, carriers):
    correios = carriers["correios"]
    correios.credentials = {"user": "12345678000195", "access_code": SECRET, "posting_card": "0067599079"}
    correios.save()
    response = client_as("staff").post(f"/logistics/carriers/{correios.pk}/edit/", carrier_data(
        code="correios", name="Correios", provider="", tracking_url=correios.tracking_url))
    assert response.status_code == 302
    correios.refresh_from_db()
    assert (correios.provider, correios.credentials) == ("", {})


def test_a_carrier_without_an_integration_has_no_credentials_form(client_as, carriers):
    assert client_as("staff").get(f"/logistics/carriers/{carriers['jadlog'].pk}/credentials/").status_code == 404


def test_the_carrier_list_pages_and_searches(client_as, db):
    Carrier.objects.bulk_create([Carrier(code=f"transp-{n:02d}", name=f"Transportadora {n:02d}") for n in range(30)])
    client = client_as("manager")
    first = client.get("/logistics/carriers/")
    assert len(first.context["table"].page.object_list) == 25
    second = client.get("/logistics/carriers/", {"page": 2})
    assert [c.code for c in second.context["table"].page.object_list] == [f"transp-{n:02d}" for n in range(25, 30)]
    found = client.get("/logistics/carriers/", {"q": "transportadora 07"})
    assert [c.code for c in found.context["table"].page.object_list] == ["transp-07"]


def test_a_carrier_is_found_by_its_services_name(client_as, carriers):
    found = client_as("manager").get("/logistics/carriers/", {"q": "sedex"})
    assert [c.code for c in found.context["table"].page.object_list] == ["correios"]
    assert found.context["table"].page.object_list[0].service_count == 2


@pytest.fixture
def long_table(carriers):
    """SEDEX's table with 60 more rows: 20 ranges of 10 000 CEPs from 10000-000, each of bands 1, 5 and 30 kg,
    created heaviest first."""
    sedex = carriers["sedex"]
    FreightRate.objects.bulk_create([
        FreightRate(service=sedex, cep_start=f"{10000000 + n * 10000:08d}", cep_end=f"{10009999 + n * 10000:08d}",
                    weight_up_to_kg=Decimal(weight), price=Decimal("1234.50") + n, days=2)
        for n in range(20) for weight in ("30", "5", "1")])
    return sedex


def test_a_freight_table_is_paged_range_by_range_each_band_from_the_lightest(client_as, long_table):
    client = client_as("manager")
    url = f"/logistics/services/{long_table.pk}/rates/"
    bands = [Decimal("1"), Decimal("5"), Decimal("30")]
    ranges = ["01000000", *(f"{10000000 + n * 10000:08d}" for n in range(20)), "30000000"]
    expected = [(cep, weight) for cep in ranges for weight in bands]  # 22 ranges of 3 bands: 66 rows

    def shown(response):
        return [(rate.cep_start, rate.weight_up_to_kg) for rate in response.context["table"].page.object_list]

    first = client.get(url)
    assert shown(first) == expected[:25]
    page = first.content.decode()
    # CEPs as they are written, weights and prices in the Brazilian way.
    assert "01000-000" in page and "05999-999" in page and "R$\u00a021,50" in page and "R$\u00a01.234,50" in page
    assert "1,000" in page and "30,000" in page
    last = client.get(url, {"page": 3})
    assert shown(last) == expected[50:]
    assert last.context["table"].page.paginator.count == 66


def test_a_freight_table_shows_the_rows_of_one_cep(client_as, long_table):
    client = client_as("manager")
    found = client.get(f"/logistics/services/{long_table.pk}/rates/", {"cep": "30130-000"})
    assert [(r.cep_start, r.price) for r in found.context["table"].page.object_list] == [
        ("30000000", Decimal("45.10")), ("30000000", Decimal("71.30")), ("30000000", Decimal("180.00"))]
    wrong = client.get(f"/logistics/services/{long_table.pk}/rates/", {"cep": "3013"})
    assert wrong.status_code == 200 and wrong.context["filter"].errors


def test_lists_run_the_same_queries_for_25_rows_as_for_100(client_as, long_table):
    Box.objects.bulk_create([Box(name=f"Caixa {n}", length_cm=10 + n, width_cm=10, height_cm=10) for n in range(30)])
    Carrier.objects.bulk_create([Carrier(code=f"transp-{n:02d}", name=f"Transportadora {n:02d}") for n in range(30)])
    client = client_as("manager")
    for url in (f"/logistics/services/{long_table.pk}/rates/", "/logistics/carriers/", "/logistics/boxes/"):
        counts, shown = queries_per_page_size(client, url)
        assert shown[0] == 25 and shown[1] > 25, url
        assert counts[0] == counts[1], url


def test_an_htmx_request_gets_the_table_alone(client_as, long_table):
    response = client_as("manager").get(f"/logistics/services/{long_table.pk}/rates/", {"page": 2},
                                        HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert 'id="results"' in content and "<html" not in content


def test_a_freight_table_is_deleted_once_confirmed(client_as, carriers):
    client = client_as("staff")
    sedex = carriers["sedex"]
    confirm = client.get(f"/logistics/services/{sedex.pk}/rates/delete/")
    assert confirm.status_code == 200 and confirm.context["count"] == 6
    assert sedex.rates.count() == 6  # asking changes nothing
    response = client.post(f"/logistics/services/{sedex.pk}/rates/delete/")
    assert response["Location"] == f"/logistics/services/{sedex.pk}/rates/"
    assert not sedex.rates.exists()
    assert carriers["pac"].rates.count() == 6  # the other tables stay
    assert AuditEvent.objects.get(action="carrierservice.rates_deleted").object_id == str(sedex.pk)


def test_boxes_are_added_with_brazilian_numbers_and_switched_off(client_as, db):
    client = client_as("staff")
    response = client.post("/logistics/boxes/new/", {"name": "Caixa M", "length_cm": "32,5", "width_cm": "24",
                                                      "height_cm": "12,5", "weight_kg": "0,250", "active": "on"})
    assert response.status_code == 302
    box = Box.objects.get()
    assert (box.length_cm, box.height_cm, box.weight_kg) == (Decimal("32.5"), Decimal("12.5"), Decimal("0.250"))
    # "1.250" is 1250 kg to some and 1,25 kg to others: asked again, not guessed.
    response = client.post(f"/logistics/boxes/{box.pk}/edit/", {
        "name": "Caixa M", "length_cm": "32,5", "width_cm": "24", "height_cm": "12,5", "weight_kg": "1.250",
        "active": "on"})
    assert response.status_code == 200 and "weight_kg" in response.context["form"].errors
    box.refresh_from_db()
    assert box.weight_kg == Decimal("0.250")
    client.post(f"/logistics/boxes/{box.pk}/active/", {"active": "0"})
    box.refresh_from_db()
    assert not box.active
    listed = client.get("/logistics/boxes/", {"active": "false"})
    assert [b.name for b in listed.context["table"].page.object_list] == ["Caixa M"]
    assert list(settings_changes().order_by("pk").values_list("action", flat=True)) == ["box.create", "box.deactivate"]


def test_a_box_needs_its_sides(client_as, db):
    response = client_as("staff").post("/logistics/boxes/new/", {
        "name": "Sem medidas", "length_cm": "0", "width_cm": "", "height_cm": "10", "weight_kg": "-0,1"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"length_cm", "width_cm", "weight_kg"}
    assert not Box.objects.exists()


def test_every_settings_page_opens_for_staff(client_as, carriers, boxes):
    client = client_as("staff")
    correios, own = carriers["correios"], carriers["own"]
    for url in ["/logistics/carriers/", "/logistics/carriers/new/", f"/logistics/carriers/{correios.pk}/",
                f"/logistics/carriers/{correios.pk}/edit/", f"/logistics/carriers/{correios.pk}/credentials/",
                f"/logistics/carriers/{correios.pk}/services/new/", f"/logistics/services/{own.pk}/edit/",
                f"/logistics/services/{own.pk}/rates/delete/", "/logistics/boxes/", "/logistics/boxes/new/",
                f"/logistics/boxes/{boxes[0].pk}/edit/"]:
        assert client.get(url).status_code == 200, url
    # The own fleet's service has no table: its page says what that means, and offers the import.
    page = client.get(f"/logistics/services/{own.pk}/rates/").content.decode()
    assert 'data-testid="empty-state"' in page and "/imports/new/logistics.freight_rates/" in page
    assert "frota/moto" in page  # how a file names the service
