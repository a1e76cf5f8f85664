"""The fiscal screens as each role uses them, through SEFAZ's simulator: staff read an NF-e and open
its DANFE but issue nothing; finance issue from the order page (and in bulk from the order list) and
the order is invoiced once SEFAZ authorizes; a manager cancels, the issuer cannot; a rejection says
what to fix; forms answer in pt-BR; the list searches, exports as Brazilians read it and runs the
same queries for 25 rows as for 100; the settings (profile, certificate, series, rules, rates,
voided numbers) and the home page's notices."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from backoffice.audit import audit_record
from fiscal import services
from fiscal.models import FiscalProfile, Invoice, InvoiceEvent, SefazStatus, Series, StateTaxRate, TaxRule
from orders.models import Customer
from tests.fiscal.conftest import ALPHANUMERIC_CNPJ, STORE_CNPJ, store_pfx
from tests.fiscal.services_support import authorized, canceller, issue, issuer, sefaz  # noqa: F401 (fixtures)
from tests.lists import queries_per_page_size

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _spaced(key: str) -> str:
    return " ".join(key[i:i + 4] for i in range(0, 44, 4))


# Who may do what ----------------------------------------------------------------------------


def test_staff_read_the_invoice_and_open_its_danfe_but_cannot_issue(client_as, authorized, make_paid_order, customer,
                                                                     address):
    client = client_as("staff")
    assert authorized.number in [invoice.number for invoice in client.get("/fiscal/").context["table"].page]
    page = client.get(f"/fiscal/{authorized.pk}/").content.decode()
    assert _spaced(authorized.key) in page and "Autorizada" in page
    assert 'data-testid="cancel-form"' not in page and 'data-testid="correction-form"' not in page
    danfe = client.get(f"/fiscal/{authorized.pk}/danfe/")
    assert (danfe.status_code, danfe["Content-Type"]) == (200, "application/pdf")
    assert danfe["Content-Disposition"].startswith("inline;") and danfe.content.startswith(b"%PDF")
    batch = client.get("/fiscal/danfe/", {"ids": [authorized.pk]})
    assert batch["Content-Type"] == "application/pdf" and batch.content.startswith(b"%PDF")
    ready = make_paid_order(customer, address)
    order_page = client.get(f"/orders/{ready.pk}/").content.decode()
    assert 'data-testid="order-fiscal"' in order_page and "Emitir NF-e" not in order_page
    assert client.post(f"/fiscal/orders/{ready.pk}/issue/").status_code == 403
    cancelled = client.post(f"/fiscal/{authorized.pk}/cancel/", {"reason": "o cliente desistiu da compra"})
    assert cancelled.status_code == 403
    assert not Invoice.objects.filter(order=ready).exists()


def test_finance_issue_the_nfe_from_the_order_page_and_the_order_is_invoiced_once_sefaz_authorizes(
        client, sefaz, issuer, consumer_order, run_queued_tasks):
    client = _as(client, issuer)
    page = client.get(f"/orders/{consumer_order.pk}/").content.decode()
    assert "Emitir NF-e" in page and "Marcar como faturado" not in page
    with run_queued_tasks():
        client.post(f"/fiscal/orders/{consumer_order.pk}/issue/")
    invoice = Invoice.objects.get(order=consumer_order)
    consumer_order.refresh_from_db()
    assert (invoice.status, consumer_order.status) == ("authorized", "invoiced")
    page = client.get(f"/orders/{consumer_order.pk}/").content.decode()
    assert f'href="/fiscal/{invoice.pk}/danfe/"' in page and "Emitir NF-e" not in page
    assert client.get(f"/fiscal/{invoice.pk}/xml/").content.decode() == invoice.authorized_xml


def test_the_order_page_no_longer_marks_an_order_invoiced_by_hand(client_as, consumer_order):
    client = client_as("staff")
    assert "Marcar como faturado" not in client.get(f"/orders/{consumer_order.pk}/").content.decode()
    assert client.post(f"/orders/{consumer_order.pk}/invoice/").status_code == 404
    consumer_order.refresh_from_db()
    assert consumer_order.status == "ready_to_ship"


def test_while_sefaz_decides_the_order_panel_and_the_invoice_page_ask_again_then_reload(client, sefaz, issuer,
                                                                                        consumer_order):
    client = _as(client, issuer)
    client.post(f"/fiscal/orders/{consumer_order.pk}/issue/")  # its sending task is not run: it waits, signed
    invoice = Invoice.objects.get(order=consumer_order)
    assert invoice.status == "signed"
    panel = client.get(f"/fiscal/orders/{consumer_order.pk}/panel/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 3s"' in panel.content.decode() and "HX-Refresh" not in panel
    status = client.get(f"/fiscal/{invoice.pk}/", HTTP_HX_REQUEST="true")
    assert 'id="invoice-status"' in status.content.decode() and "<html" not in status.content.decode()
    services.invoice_send(invoice=invoice)
    assert client.get(f"/fiscal/orders/{consumer_order.pk}/panel/", HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    assert client.get(f"/fiscal/{invoice.pk}/", HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


def test_a_manager_cancels_an_authorized_invoice_its_issuer_cannot(client, authorized, issuer, canceller,
                                                                   run_queued_tasks):
    own = _as(client, issuer)
    page = own.get(f"/fiscal/{authorized.pk}/").content.decode()
    assert "Você emitiu esta NF-e: outra pessoa a cancela." in page and 'data-testid="cancel-form"' not in page
    own.post(f"/fiscal/{authorized.pk}/cancel/", {"reason": "o cliente desistiu antes do envio"})
    authorized.refresh_from_db()
    assert authorized.status == "authorized" and not authorized.events.exists()

    manager = _as(client, canceller)
    short = manager.post(f"/fiscal/{authorized.pk}/cancel/", {"reason": "desistiu"}, follow=True)
    assert "Escreva pelo menos 15 caracteres (agora são 8)" in " ".join(_messages(short))
    assert 'data-testid="cancel-form"' in manager.get(f"/fiscal/{authorized.pk}/").content.decode()
    with run_queued_tasks():
        manager.post(f"/fiscal/{authorized.pk}/cancel/", {"reason": "o cliente desistiu antes do envio"})
    authorized.refresh_from_db()
    assert authorized.status == "cancelled"
    event = authorized.events.get()
    assert (event.kind, event.status) == (InvoiceEvent.Kind.CANCELLATION, "registered") and event.protocol
    page = manager.get(f"/fiscal/{authorized.pk}/").content.decode()
    assert event.protocol in page and f'href="/fiscal/events/{event.pk}/xml/"' in page


def test_a_cancellation_sefaz_has_not_answered_yet_is_not_said_done(client, authorized, canceller):
    manager = _as(client, canceller)
    answer = manager.post(f"/fiscal/{authorized.pk}/cancel/", {"reason": "o cliente desistiu antes do envio"},
                          follow=True)  # its sending task is not run: it waits, signed
    authorized.refresh_from_db()
    assert authorized.status == "authorized" and authorized.events.get().status == "signed"
    assert [message.level_tag for message in answer.context["messages"]] == ["info"]


def test_asking_sefaz_now_while_it_is_unreachable_says_so_and_the_invoice_waits(client, settings, sefaz, issuer,
                                                                              consumer_order):
    client = _as(client, issuer)
    client.post(f"/fiscal/orders/{consumer_order.pk}/issue/", follow=True)  # not sent by its task: it waits, signed
    invoice = Invoice.objects.get(order=consumer_order)
    settings.SEFAZ_URL = "https://127.0.0.1:9/ws"  # a port that refuses
    answer = client.post(f"/fiscal/{invoice.pk}/check/", follow=True)
    assert answer.status_code == 200 and [m.level_tag for m in answer.context["messages"]] == ["error"]
    invoice.refresh_from_db()
    assert invoice.status == "sent"  # left to be looked up by its key


def test_finance_send_a_correction_letter_of_15_to_1000_characters(client, authorized, issuer, run_queued_tasks):
    client = _as(client, issuer)
    refused = client.post(f"/fiscal/{authorized.pk}/correct/", {"text": "x" * 1001}, follow=True)
    assert "Escreva no máximo 1000 caracteres (agora são 1001)." in _messages(refused)
    with run_queued_tasks():
        client.post(f"/fiscal/{authorized.pk}/correct/", {"text": "O número do endereço é 1000, não 100."})
    event = authorized.events.get()
    assert (event.kind, event.sequence, event.status) == (InvoiceEvent.Kind.CORRECTION, 1, "registered")


def test_goods_that_came_back_take_a_return_nfe_never_more_than_was_sold(client, authorized, issuer,
                                                                           run_queued_tasks):
    client = _as(client, issuer)
    shirts = authorized.items.get(sku="CAM-AZ-M")
    page = client.get(f"/fiscal/{authorized.pk}/return/").content.decode()
    assert "2 vendidos, 0 devolvidos antes: até 2." in page
    too_many = client.post(f"/fiscal/{authorized.pk}/return/", {f"item_{shirts.pk}": "3"})
    assert too_many.context["form"].errors[f"item_{shirts.pk}"] == ["Restam só 2 a devolver."]
    nothing = client.post(f"/fiscal/{authorized.pk}/return/", {})
    assert "Digite a quantidade de pelo menos um item que voltou." in nothing.content.decode()
    with run_queued_tasks():
        response = client.post(f"/fiscal/{authorized.pk}/return/", {f"item_{shirts.pk}": "1"})
    entry = Invoice.objects.get(refers_to=authorized)
    assert response["Location"] == f"/fiscal/{entry.pk}/"
    assert [(item.sku, item.quantity) for item in entry.items.all()] == [("CAM-AZ-M", 1)]
    assert entry.direction == Invoice.Direction.INCOMING and entry.status == "authorized"
    assert f'href="/fiscal/{entry.pk}/"' in client.get(f"/fiscal/{authorized.pk}/").content.decode()
    assert "2 vendidos, 1 devolvidos antes: até 1." in client.get(f"/fiscal/{authorized.pk}/return/").content.decode()


def test_a_rejection_says_sefaz_code_what_to_fix_and_the_invoice_is_issued_again_under_its_number(
        client, sefaz, issuer, consumer_order, run_queued_tasks):
    profile = FiscalProfile.objects.get()
    profile.cnpj = "99888777000166"  # a typo: not the certificate's company
    profile.save()
    client = _as(client, issuer)
    with run_queued_tasks():
        client.post(f"/fiscal/orders/{consumer_order.pk}/issue/")
    invoice = Invoice.objects.get()
    page = client.get(f"/fiscal/{invoice.pk}/").content.decode()
    assert invoice.status == "rejected" and '<span data-testid="sefaz-code">213</span>' in page
    assert "O CNPJ do certificado A1 não é o da loja" in page
    order_page = client.get(f"/orders/{consumer_order.pk}/").content.decode()
    assert "213 — Rejeição" in order_page and "Emitir de novo, corrigida" in order_page
    profile.cnpj = STORE_CNPJ
    profile.save()
    with run_queued_tasks():
        client.post(f"/fiscal/{invoice.pk}/issue/", {"next": f"/orders/{consumer_order.pk}/"})
    fixed = Invoice.objects.get()
    assert (fixed.pk, fixed.number, fixed.status) == (invoice.pk, invoice.number, "authorized")


def test_the_number_of_a_rejected_invoice_that_will_not_be_issued_is_voided(client, sefaz, issuer, consumer_order,
                                                                               run_queued_tasks):
    FiscalProfile.objects.update(cnpj="99888777000166")  # a typo: SEFAZ rejects the NF-e (213)
    client = _as(client, issuer)
    with run_queued_tasks():
        client.post(f"/fiscal/orders/{consumer_order.pk}/issue/")
    invoice = Invoice.objects.get()
    assert invoice.status == "rejected"
    FiscalProfile.objects.update(cnpj=STORE_CNPJ)
    with run_queued_tasks():
        client.post(f"/fiscal/{invoice.pk}/void/", {"reason": "o pedido será faturado em outra nota"})
    invoice.refresh_from_db()
    assert invoice.status == "voided"
    voided = client.get("/fiscal/voided/").context["table"].page
    assert [(v.first, v.last, v.status) for v in voided] == [(invoice.number, invoice.number, "registered")]


def test_finance_issue_the_ticked_orders_nfe_in_bulk_and_read_what_was_refused(client, issuer, sefaz, consumer_order,
                                                                              company_order, customer, address,
                                                                              products):
    from orders import services as orders

    unpaid, _created = orders.order_create(customer=customer, address=address, channel="web",
                                           items=[orders.ItemInput(products[0], 1, Decimal("59.90"))])
    client = _as(client, issuer)
    page = client.get("/orders/").content.decode()
    assert '<option value="issue_nfe">emitir a NF-e</option>' in page and 'value="cancel"' not in page
    response = client.post("/orders/bulk/", {"operation": "issue_nfe",
                                             "ids": [consumer_order.pk, company_order.pk, unpaid.pk]}, follow=True)
    shown = _messages(response)
    assert "NF-e emitida para 2 dos pedidos marcados." in shown
    assert [line for line in shown if line.startswith(f"#{unpaid.number}: ")]
    assert set(Invoice.objects.values_list("order", flat=True)) == {consumer_order.pk, company_order.pk}
    # Cancelling in bulk is orders' own operation: finance may not.
    assert client.post("/orders/bulk/", {"operation": "cancel", "ids": [unpaid.pk]}).status_code == 403


# The list -----------------------------------------------------------------------------------------


@pytest.fixture
def invoices(fiscal_profile, make_paid_order, customer, address, issuer):
    """Thirty NF-e signed for thirty orders (not sent), a third of them to "José Conceição" (a company)."""
    company = Customer.objects.create(kind="company", name="José Conceição Ltda", document=ALPHANUMERIC_CNPJ,
                                      state_registration="1234567890")
    other = company.addresses.create(recipient=company.name, cep="01310100", street="Avenida Paulista", number="1",
                                     district="Bela Vista", city=address.city, is_default=True)
    Series.objects.create(environment=2, number=1)
    made = []
    for n in range(30):
        order = make_paid_order(company, other) if n % 3 == 0 else make_paid_order(customer, address)
        made.append(services.invoice_issue(invoice=services.invoice_from_order(order=order, user=issuer),
                                           user=issuer, send=False))
    return made


def test_the_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, invoices):
    client = client_as("finance")
    counts, shown = queries_per_page_size(client, "/fiscal/")
    assert shown == [25, 30] and counts[0] == counts[1]
    counts, shown = queries_per_page_size(client, "/fiscal/", {"q": "jose conceicao"})
    assert shown == [10, 10] and counts[0] == counts[1]


@pytest.mark.parametrize("typed, found", [("jose conceicao", 10), ("JOSÉ", 10), ("12.ABC.345/01", 10),
                                          ("390.533", 20), ("nobody", 0), ("²", 0)])
def test_the_list_finds_an_invoice_by_recipient_accents_ignored_or_document(client_as, invoices, typed, found):
    assert client_as("staff").get("/fiscal/", {"q": typed}).context["table"].page.paginator.count == found


def test_the_list_finds_an_invoice_by_its_key_spaced_or_not_and_by_number(client_as, invoices):
    client, wanted = client_as("staff"), invoices[7]
    for typed in (wanted.key, _spaced(wanted.key), str(wanted.number)):
        assert list(client.get("/fiscal/", {"q": typed}).context["table"].page) == [wanted], typed


def test_the_danfe_print_of_nothing_printable_says_so(client_as, invoices):
    answer = client_as("staff").get("/fiscal/danfe/", {"ids": ["²", str(invoices[0].pk)]}, follow=True)
    assert answer.redirect_chain == [("/fiscal/", 302)]
    assert [message.level_tag for message in answer.context["messages"]] == ["error"]


def test_the_list_filters_by_status_period_series_and_operation(client_as, invoices):
    client, today = client_as("staff"), timezone.localdate()
    count = lambda **query: client.get("/fiscal/", query).context["table"].page.paginator.count  # noqa: E731
    assert count(status="signed") == 30 and count(status="authorized") == 0
    assert count(issued_at_after=today.isoformat(), issued_at_before=today.isoformat()) == 30
    assert count(issued_at_after=(today + timedelta(days=1)).isoformat()) == 0
    assert count(series=1) == 30 and count(series=2) == 0
    assert count(operation="sale_company") == 10 and count(operation="sale_consumer") == 20


def test_the_list_exports_a_csv_a_brazilian_spreadsheet_opens(client_as, invoices):
    response = client_as("finance").get("/fiscal/", {"export": "csv", "q": invoices[1].key})
    text = b"".join(response.streaming_content).decode("utf-8")
    header, row = text.lstrip("\ufeff").splitlines()
    assert header.startswith("Número;Série;Ambiente;Chave de acesso;Emitida;Pedido;Destinatário;CPF/CNPJ;UF;")
    cells = row.split(";")
    assert cells[3] == invoices[1].key and cells[7] == "390.533.447-05"
    assert cells[2] == "Homologação (teste)" and cells[10] == "Assinada"
    assert timezone.localtime(invoices[1].issued_at).strftime("%d/%m/%Y %H:%M") in row
    assert cells[-1] == "169,70"  # the invoice total, decimals after a comma


def test_the_empty_list_says_how_nfe_are_issued(client_as):
    html = client_as("staff").get("/fiscal/").content.decode()
    assert "Nenhuma NF-e ainda: elas são emitidas na página do pedido" in html


# Settings -------------------------------------------------------------------------------------------


PROFILE = {
    "legal_name": "Nova Era Comércio Ltda", "trade_name": "Nova Era", "cnpj": "12.ABC.345/01DE-35",
    "state_registration": "110.042.490.114", "municipal_registration": "", "cnae": "4781-4/00", "regime": "3",
    "cep": "01310-100", "street": "Avenida Paulista", "number": "1000", "complement": "", "district": "Bela Vista",
    "uf": "SP", "city": "3550308", "phone": "(11) 3333-4444", "environment": "2",
    "accountant_email": "contador@example.com",
}


def test_finance_fill_in_the_profile_with_an_alphanumeric_cnpj(client_as, tax_tables):
    client = client_as("finance")
    assert client.post("/fiscal/settings/profile/", PROFILE)["Location"] == "/fiscal/settings/"
    profile = FiscalProfile.objects.get()
    assert (profile.cnpj, profile.state_registration, profile.cnae, profile.phone) == (
        ALPHANUMERIC_CNPJ, "110042490114", "4781400", "1133334444")
    assert (profile.city.name, profile.regime) == ("São Paulo", 3)
    assert "12.ABC.345/01DE-35" in client.get("/fiscal/settings/").content.decode()


@pytest.mark.parametrize("change, field, message", [
    ({"cnpj": "11.222.333/0001-00"}, "cnpj", "CNPJ inválido: confira os dígitos."),
    ({"state_registration": "IE-X"}, "state_registration", "Digite os 2 a 14 dígitos da IE, ou ISENTO."),
    ({"cnae": "47814"}, "cnae", "Digite os 7 dígitos, p. ex. 4781-4/00."),
    ({"cep": "20040-002"}, "cep", "Este CEP é de RJ, não de SP."),
    ({"uf": "RJ"}, "city", "Faça uma escolha válida."),
])
def test_the_profile_form_says_what_is_wrong_in_pt_br(client_as, change, field, message):
    response = client_as("finance").post("/fiscal/settings/profile/", {**PROFILE, **change})
    assert response.status_code == 200 and not FiscalProfile.objects.exists()
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors


def test_the_profile_form_offers_the_cities_of_the_uf_chosen(client_as):
    html = client_as("finance").get("/fiscal/settings/profile/", {"uf": "RJ"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="profile-city"' in html and "Niterói (3303302)" in html and "Campinas" not in html


def test_the_certificate_shows_who_it_is_of_and_when_it_expires_never_its_password(client_as, fiscal_profile):
    client = client_as("finance")
    pfx, password = store_pfx()
    FiscalProfile.objects.filter(pk=1).update(certificate={}, certificate_expires_at=None, certificate_subject="")
    wrong = client.post("/fiscal/settings/certificate/", {"pfx": _upload(pfx), "password": "wrong"}, follow=True)
    assert "Senha incorreta para este certificado." in _messages(wrong)
    saved = client.post("/fiscal/settings/certificate/", {"pfx": _upload(pfx), "password": password}, follow=True)
    profile = FiscalProfile.objects.get()
    assert profile.certificate_cnpj == STORE_CNPJ and profile.certificate_is_test
    html = saved.content.decode()
    assert "11.222.333/0001-81" in html and 'data-testid="test-certificate"' in html
    assert profile.certificate_subject in html and profile.certificate_expires_at.astimezone(
        timezone.get_current_timezone()).strftime("%d/%m/%Y") in html
    assert password not in html and profile.certificate["password"] not in html
    assert 'name="password"' in html and 'value="' + password not in html


def _upload(content: bytes, name="loja.pfx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/x-pkcs12")


def test_production_is_refused_while_the_certificate_is_a_test_one(client_as, fiscal_profile):
    form = {**PROFILE, "cnpj": "11.222.333/0001-81", "environment": "1"}
    response = client_as("finance").post("/fiscal/settings/profile/", form)
    assert "Um certificado de teste não tem valor fiscal" in response.content.decode()
    assert FiscalProfile.objects.get().environment == 2


def test_a_series_next_number_only_moves_forward(client_as, series):
    client = client_as("finance")
    Series.objects.filter(pk=series.pk).update(next_number=42)
    back = client.post(f"/fiscal/series/{series.pk}/", {"next_number": "41", "active": "on"})
    assert back.status_code == 200 and "42" in " ".join(back.context["form"].errors["next_number"])
    assert client.post(f"/fiscal/series/{series.pk}/", {"next_number": "50", "active": "on"}).status_code == 302
    assert Series.objects.get().next_number == 50
    assert 'data-testid="next-number">50<' in client.get("/fiscal/settings/").content.decode()


def test_finance_add_edit_and_switch_off_a_tax_rule(client_as, tax_tables):
    client = client_as("finance")
    form = {"operation": "sale_consumer", "regime": "normal", "scope": "interstate", "origin_uf": "",
            "destination_uf": "BA", "ncm_prefix": "6109.10", "priority": "5", "cfop": "6.102", "icms_code": "00",
            "icms_rate": "12", "icms_base_reduction": "0", "sn_credit_rate": "0", "st_mva": "0", "st_rate": "0",
            "fcp_rate": "2", "ipi_cst": "", "ipi_rate": "0", "ipi_framework": "999", "pis_cst": "01",
            "pis_rate": "1,65", "cofins_cst": "01", "cofins_rate": "7,6", "ibscbs_cst": "000",
            "ibscbs_class": "000001", "cbs_rate": "0,9", "ibs_state_rate": "0,1", "ibs_city_rate": "0",
            "active": "on", "notes": "Bahia"}
    assert client.post("/fiscal/rules/new/", form)["Location"] == "/fiscal/rules/"
    rule = TaxRule.objects.get(notes="Bahia")
    assert (rule.cfop, rule.ncm_prefix, rule.pis_rate, rule.cbs_rate) == ("6102", "610910", Decimal("1.65"),
                                                                          Decimal("0.9"))
    wrong = client.post(f"/fiscal/rules/{rule.pk}/", {**form, "cfop": "5102", "icms_code": "102"})
    assert "entre estados, por 2 ou 6" in " ".join(wrong.context["form"].errors["cfop"])
    assert "CSOSN de 3 dígitos" in " ".join(wrong.context["form"].errors["icms_code"])
    client.post(f"/fiscal/rules/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert not rule.active
    listed = client.get("/fiscal/rules/", {"active": "false"}).context["table"].page
    assert rule in listed


def test_finance_change_a_state_icms_rate(client_as, tax_tables):
    client = client_as("finance")
    rates = list(StateTaxRate.objects.order_by("uf"))
    form = {"form-TOTAL_FORMS": str(len(rates)), "form-INITIAL_FORMS": str(len(rates))}
    for i, rate in enumerate(rates):
        form.update({f"form-{i}-uf": rate.uf, f"form-{i}-icms_rate": str(rate.icms_rate).replace(".", ","),
                     f"form-{i}-fcp_rate": str(rate.fcp_rate).replace(".", ",")})
    bahia = next(i for i, rate in enumerate(rates) if rate.uf == "BA")
    form[f"form-{bahia}-icms_rate"] = "21,5"
    response = client.post("/fiscal/rates/save/", form, follow=True)
    assert "1 alíquota estadual alterada." in _messages(response)
    assert StateTaxRate.objects.get(uf="BA").icms_rate == Decimal("21.5")
    form[f"form-{bahia}-icms_rate"] = "120"
    assert client.post("/fiscal/rates/save/", form).status_code == 200
    assert StateTaxRate.objects.get(uf="BA").icms_rate == Decimal("21.5")


def test_the_void_form_answers_in_pt_br_and_voids_a_range(client_as, sefaz, series, run_queued_tasks):
    client = client_as("finance")
    Series.objects.filter(pk=series.pk).update(next_number=10)
    short = client.post("/fiscal/voided/new/", {"series": series.pk, "first": "5", "last": "3", "reason": "falha"})
    errors = short.context["form"].errors
    assert "O último número vem depois do primeiro." in errors["last"]
    assert "Escreva pelo menos 15 caracteres (agora são 5): a SEFAZ recusa um texto mais curto." in errors["reason"]
    with run_queued_tasks():
        client.post("/fiscal/voided/new/", {"series": series.pk, "first": "3", "last": "5",
                                            "reason": "números pulados por falha do sistema"})
    listed = client.get("/fiscal/voided/").context["table"].page
    assert [(voided.first, voided.last, voided.status) for voided in listed] == [(3, 5, "registered")]


def test_manager_read_the_settings_but_change_nothing(client_as, fiscal_profile, series):
    client = client_as("manager")
    html = client.get("/fiscal/settings/").content.decode()
    assert "Loja Teste Comércio Ltda" in html and 'data-testid="certificate-form"' not in html
    assert client.get("/fiscal/settings/profile/").status_code == 403
    assert client.post(f"/fiscal/series/{series.pk}/", {"next_number": "9"}).status_code == 403


# Notices --------------------------------------------------------------------------------------------


def test_the_home_page_says_there_is_no_fiscal_profile_yet(client_as, tax_tables):
    html = client_as("finance").get("/").content.decode()
    assert "Ainda não há perfil fiscal" in html and 'href="/fiscal/settings/"' in html
    assert 'data-testid="notices"' not in client_as("staff").get("/").content.decode()


@pytest.mark.parametrize("days, level, text", [(10, "warning", "O certificado A1 vence em"),
                                               (-1, "danger", "O certificado A1 venceu em"),
                                               (90, None, None)])
def test_the_home_page_warns_30_days_before_the_certificate_expires(client_as, fiscal_profile, days, level, text):
    FiscalProfile.objects.update(certificate_expires_at=timezone.now() + timedelta(days=days, hours=1))
    html = client_as("finance").get("/").content.decode()
    if level is None:
        assert 'data-testid="notices"' not in html
    else:
        assert f"alert-{level}" in html and text in html


def test_sefaz_down_is_a_contingency_notice_on_the_home_and_health_pages(client_as, fiscal_profile):
    SefazStatus.objects.create(uf="SP", environment=2, up=False, status_code="109",
                               status_message="Serviço Paralisado sem Previsão", checked_at=timezone.now())
    for url in ("/", "/health/"):
        html = client_as("ops").get(url).content.decode()
        assert 'data-testid="notices"' in html and "Serviço Paralisado sem Previsão" in html, url
    assert 'data-testid="contingency"' in client_as("finance").get("/fiscal/settings/").content.decode()


# Admin ----------------------------------------------------------------------------------------------


def test_the_admin_never_shows_the_certificate(client, role_user, fiscal_profile):
    client.force_login(role_user("admin", is_staff=True, is_superuser=True))
    html = client.get("/admin/fiscal/fiscalprofile/1/change/").content.decode()
    assert fiscal_profile.certificate_subject in html
    stored = FiscalProfile.objects.get().certificate
    assert stored["password"] not in html and stored["pfx"][:40] not in html
    assert client.get("/admin/fiscal/fiscalprofile/?certificate__password__startswith=x").status_code == 400
    audit_record(actor=None, action="fiscal.certificate", obj=fiscal_profile)  # the audit log names no secret
    assert stored["password"] not in client.get("/admin/backoffice/auditevent/").content.decode()
