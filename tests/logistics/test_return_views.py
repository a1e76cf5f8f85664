"""The return screens as staff and finance use them: staff open a return from the order page (the
units of each item that come back, and why), approve it with the carrier's reverse code, receive it
and inspect each item; finance refund "169,70" and close it — the return NF-e authorized, the order
returned. Who may do what (403), actions by POST only (405), bad input answered on its form with
nothing changed, the list's search, filters and export, and the order page's panel."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.exports import XLSX_TYPE
from backoffice.money import format_money
from fiscal.models import Invoice
from inventory.models import Movement, StockLevel, Warehouse
from logistics import returns
from logistics.models import ReturnItem, ReturnRequest
from logistics.return_views import order_returns_panel
from orders import panels
from orders import services as orders
from payments.models import Refund
from tests.lists import queries_per_page_size
from tests.logistics.conftest import authorized_nfe
from tests.logistics.test_returns import delivered_order  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ACTIONS = ("approve", "refuse", "receive", "inspect", "close")


def url(name, *args):
    return reverse(f"logistics:{name}", args=args)


def page_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def items_of(order):
    """The order's T-shirts line and cap line."""
    return order.items.get(sku="CAM-AZ-M"), order.items.get(sku="BONE-PT")


def returned_items(return_request):
    """The return's T-shirts and cap items, by SKU."""
    return {item.order_item.sku: item for item in return_request.items.select_related("order_item")}


@pytest.fixture
def returns_panel(monkeypatch):
    """The order page shows the returns panel, registered as LogisticsConfig.ready registers it."""
    panel = panels.OrderPanel("logistics/partials/return_panel.html", "logistics.view_returnrequest",
                              order_returns_panel, order=70)
    monkeypatch.setattr(panels, "ORDER_PANELS", [
        *(registered for registered in panels.ORDER_PANELS if registered.context is not order_returns_panel), panel])


@pytest.fixture
def principal(db):
    return Warehouse.objects.get(code="principal")


@pytest.fixture
def received(delivered_order, packer, principal):
    """A return of the whole delivered order, approved and received at the main warehouse."""
    shirt, cap = items_of(delivered_order)
    request = returns.return_request(order=delivered_order, quantities={shirt: 2, cap: 1},
                                     reason=ReturnRequest.Reason.DEFECT, user=packer)
    returns.return_approve(request=request, user=packer)
    return returns.return_receive(request=request, user=packer, warehouse=principal)


@pytest.fixture
def inspected(received, packer):
    items = returned_items(received)
    return returns.return_inspect(request=received, user=packer, outcomes={
        items["CAM-AZ-M"]: ReturnItem.Outcome.RESTOCK, items["BONE-PT"]: ReturnItem.Outcome.QUALITY_CONTROL})


# The whole flow ---------------------------------------------------------------------------------


def test_staff_take_the_goods_back_and_finance_refund_169_70_and_close(sefaz, client_as, delivered_order, carriers,
                                                                       principal, returns_panel, run_queued_tasks):
    order = delivered_order
    shirt, cap = items_of(order)
    staff = client_as("staff")
    new = url("return_new", order.pk)
    assert f'href="{new}"' in page_of(staff.get(f"/orders/{order.pk}/"))

    form = staff.get(new).context["form"]
    assert [(field.value(), field.field.max_value) for _item, field in form.items] == [(0, 2), (0, 1)]
    opened = staff.post(new, {f"item_{shirt.pk}": "2", f"item_{cap.pk}": "1", "reason": "regret",
                              "details": "Não serviu."})
    request = ReturnRequest.objects.get(order=order)
    detail = url("return_detail", request.pk)
    assert (opened.status_code, opened["Location"]) == (302, detail)
    assert (request.status, request.reason, request.details, request.by_customer) == (
        "requested", "regret", "Não serviu.", False)
    assert sorted((sku, item.quantity) for sku, item in returned_items(request).items()) == [("BONE-PT", 1),
                                                                                            ("CAM-AZ-M", 2)]
    page = page_of(staff.get(detail))
    assert 'data-testid="approve-form"' in page and 'data-testid="refuse-form"' in page and "Não serviu." in page
    assert f'href="/orders/{order.pk}/"' in page and order.customer.name in page

    # Approved by Jadlog with its reverse authorization, typed as its system prints it.
    approved = staff.post(url("return_approve", request.pk), {"service": carriers["package"].pk,
                                                              "reverse_code": "jd 1234 5678 br"})
    assert (approved.status_code, approved["Location"]) == (302, detail)
    request.refresh_from_db()
    assert (request.status, request.reverse_code, request.reverse_service) == ("approved", "JD12345678BR",
                                                                               carriers["package"])
    shown = staff.get(detail)
    assert 'data-testid="receive-form"' in page_of(shown) and "JD12345678BR" in page_of(shown)
    assert shown.context["receive_form"]["warehouse"].value() == principal.pk  # the first active, by priority

    assert staff.post(url("return_receive", request.pk), {"warehouse": principal.pk})["Location"] == detail
    request.refresh_from_db()
    assert (request.status, request.warehouse) == ("received", principal)
    assert 'data-testid="inspect-form"' in page_of(staff.get(detail))

    before = StockLevel.objects.get(product=shirt.product, warehouse=principal).available
    items = returned_items(request)
    inspected = staff.post(url("return_inspect", request.pk), {
        f"outcome_{items['CAM-AZ-M'].pk}": "restock", f"note_{items['CAM-AZ-M'].pk}": "",
        f"outcome_{items['BONE-PT'].pk}": "write_off", f"note_{items['BONE-PT'].pk}": "Aba amassada"})
    assert inspected["Location"] == detail
    request.refresh_from_db()
    assert request.status == "inspected"
    assert {sku: (item.outcome, item.note) for sku, item in returned_items(request).items()} == {
        "CAM-AZ-M": ("restock", ""), "BONE-PT": ("write_off", "Aba amassada")}
    assert StockLevel.objects.get(product=shirt.product, warehouse=principal).available == before + 2
    ledger = Movement.objects.filter(reference=f"return:{request.pk}")
    assert sorted(ledger.values_list("product__sku", "quantity")) == [("BONE-PT", 1), ("CAM-AZ-M", 2)]
    staff_page = staff.get(detail)
    assert 'data-testid="close-form"' not in page_of(staff_page) and 'data-testid="who-acts"' in page_of(staff_page)

    # Finance: the refund offered is what the units were paid for; they give the shipping back too.
    finance = client_as("finance")
    shown = finance.get(detail)
    assert 'data-testid="close-form"' in page_of(shown) and 'value="154,70"' in page_of(shown)
    sale = Invoice.objects.get(order=order, direction=Invoice.Direction.OUTGOING)
    assert shown.context["sale_invoice"] == sale and str(sale) in page_of(shown)
    with run_queued_tasks():
        closed = finance.post(url("return_close", request.pk), {"refund": "169,70"})
    assert (closed.status_code, closed["Location"]) == (302, detail)
    request.refresh_from_db()
    assert (request.status, request.refunded) == ("closed", Decimal("169.70"))
    nfe = Invoice.objects.get(pk=request.return_invoice_id)
    assert (nfe.status, nfe.refers_to) == (Invoice.Status.AUTHORIZED, sale)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("returned", Decimal("169.70"))

    page = page_of(finance.get(detail))
    assert f'href="/fiscal/{nfe.pk}/"' in page and format_money(Decimal("169.70")) in page
    assert [event.code for event in finance.get(detail).context["events"]] == [
        "returnrequest.requested", "returnrequest.approved", "returnrequest.received", "returnrequest.inspected",
        "returnrequest.closed"]
    order_page = page_of(finance.get(f"/orders/{order.pk}/"))
    assert f'href="{detail}"' in order_page and f'href="{new}"' not in order_page  # every unit came back


# Who may do what --------------------------------------------------------------------------------


def test_finance_cannot_inspect_and_staff_cannot_close(client_as, received, packer):
    finance = client_as("finance")
    page = page_of(finance.get(url("return_detail", received.pk)))
    assert 'data-testid="inspect-form"' not in page and 'data-testid="who-acts"' in page
    items = returned_items(received)
    outcomes = {f"outcome_{item.pk}": "restock" for item in items.values()}
    assert finance.post(url("return_inspect", received.pk), outcomes).status_code == 403
    received.refresh_from_db()
    assert received.status == "received" and not Movement.objects.filter(reference=f"return:{received.pk}").exists()

    returns.return_inspect(request=received, user=packer, outcomes={item: "restock" for item in items.values()})
    staff = client_as("staff")
    assert staff.post(url("return_close", received.pk), {"refund": "10,00"}).status_code == 403
    received.refresh_from_db()
    assert (received.status, received.refunded) == ("inspected", 0) and not Refund.objects.exists()


def test_a_manager_only_reads(client_as, received, delivered_order):
    manager = client_as("manager")
    assert manager.get(url("return_list")).status_code == 200
    page = page_of(manager.get(url("return_detail", received.pk)))
    assert 'data-testid="who-acts"' in page
    assert not any(f'data-testid="{action}-form"' in page for action in ACTIONS)
    assert manager.get(url("return_new", delivered_order.pk)).status_code == 403
    for action in ACTIONS:
        assert manager.post(url(f"return_{action}", received.pk), {}).status_code == 403, action
    received.refresh_from_db()
    assert received.status == "received"


def test_nobody_outside_the_roles_reads_a_return(client_as, received):
    ops = client_as("ops")
    assert ops.get(url("return_list")).status_code == 403
    assert ops.get(url("return_detail", received.pk)).status_code == 403


def test_the_actions_take_only_a_post(client_as, received):
    staff = client_as("staff")
    for action in ACTIONS[:4]:
        assert staff.get(url(f"return_{action}", received.pk)).status_code == 405, action
    assert client_as("finance").get(url("return_close", received.pk)).status_code == 405


# Bad input --------------------------------------------------------------------------------------


def test_more_units_than_can_come_back_or_no_reason_is_a_form_error_and_opens_nothing(client_as, delivered_order):
    staff = client_as("staff")
    shirt, cap = items_of(delivered_order)
    new = url("return_new", delivered_order.pk)
    too_many = staff.post(new, {f"item_{shirt.pk}": "3", f"item_{cap.pk}": "0", "reason": "defect"})
    assert too_many.status_code == 400
    assert too_many.context["form"].errors[f"item_{shirt.pk}"] == [
        _("Only %(left)d of that item can still come back.") % {"left": 2}]
    no_reason = staff.post(new, {f"item_{shirt.pk}": "1", f"item_{cap.pk}": "0", "reason": ""})
    assert no_reason.status_code == 400
    assert no_reason.context["form"].errors["reason"] == [_("Choose why the goods come back.")]
    assert _("Choose why the goods come back.") in page_of(no_reason)
    nothing = staff.post(new, {f"item_{shirt.pk}": "0", f"item_{cap.pk}": "", "reason": "defect"})
    assert nothing.context["form"].non_field_errors() == [_("Say how many units of each item come back.")]
    for typed in ("-1", "dois", "1,5"):
        wrong = staff.post(new, {f"item_{shirt.pk}": typed, f"item_{cap.pk}": "0", "reason": "defect"})
        assert wrong.status_code == 400 and wrong.context["form"].errors[f"item_{shirt.pk}"], typed
    assert not ReturnRequest.objects.exists()


def test_units_already_in_a_return_cannot_come_back_twice(client_as, delivered_order, packer):
    shirt, cap = items_of(delivered_order)
    returns.return_request(order=delivered_order, quantities={shirt: 2}, reason="defect", user=packer)
    staff = client_as("staff")
    form = staff.get(url("return_new", delivered_order.pk)).context["form"]
    assert {item.sku: (field.field.max_value, field.field.disabled) for item, field in form.items} == {
        "CAM-AZ-M": (0, True), "BONE-PT": (1, False)}
    staff.post(url("return_new", delivered_order.pk), {f"item_{shirt.pk}": "2", f"item_{cap.pk}": "1",
                                                       "reason": "regret"})
    # The T-shirts' field is disabled: what was posted for it is ignored, the cap comes back alone.
    latest = ReturnRequest.objects.latest("pk")
    assert [(item.order_item.sku, item.quantity) for item in latest.items.all()] == [("BONE-PT", 1)]
    everything = staff.get(url("return_new", delivered_order.pk), follow=True)
    assert everything.redirect_chain == [(f"/orders/{delivered_order.pk}/", 302)]
    assert messages_of(everything)[-1] == _("Every unit of order #%(number)s is in a return already.") % {
        "number": delivered_order.number}


def test_an_order_that_has_not_left_takes_no_return(client_as, consumer_order):
    response = client_as("staff").get(url("return_new", consumer_order.pk), follow=True)
    assert response.redirect_chain == [(f"/orders/{consumer_order.pk}/", 302)]
    assert len(messages_of(response)) == 1 and not ReturnRequest.objects.exists()


def test_a_refusal_needs_a_reason_and_a_refused_return_is_not_approved(client_as, delivered_order, packer):
    shirt, _cap = items_of(delivered_order)
    request = returns.return_request(order=delivered_order, quantities={shirt: 1}, reason="regret", user=packer)
    staff = client_as("staff")
    silent = staff.post(url("return_refuse", request.pk), {"reason": "  "})
    assert silent.status_code == 400 and silent.context["refuse_form"].errors["reason"] == [
        _("Say why the return is refused.")]
    request.refresh_from_db()
    assert request.status == "requested"
    assert staff.post(url("return_refuse", request.pk), {"reason": "Fora do prazo de 7 dias."}).status_code == 302
    request.refresh_from_db()
    assert request.status == "refused"
    assert "Fora do prazo de 7 dias." in page_of(staff.get(url("return_detail", request.pk)))
    # Approving it now (a page left open): the state machine's refusal, said, and nothing changes.
    late = staff.post(url("return_approve", request.pk), {"reverse_code": ""}, follow=True)
    assert late.redirect_chain == [(url("return_detail", request.pk), 302)]
    assert len(messages_of(late)) == 1 and "”" in messages_of(late)[0]
    request.refresh_from_db()
    assert (request.status, request.reverse_code) == ("refused", "")


def test_a_reverse_code_with_other_signs_is_refused_on_the_form(client_as, delivered_order, packer):
    shirt, _cap = items_of(delivered_order)
    request = returns.return_request(order=delivered_order, quantities={shirt: 1}, reason="regret", user=packer)
    response = client_as("staff").post(url("return_approve", request.pk), {"reverse_code": "JD#1/2"})
    assert response.status_code == 400 and response.context["approve_form"].errors["reverse_code"]
    assert 'data-testid="approve-form"' in page_of(response)
    request.refresh_from_db()
    assert request.status == "requested"


def test_an_outcome_left_out_is_a_form_error_and_moves_no_stock(client_as, received):
    items = list(received.items.all())
    response = client_as("staff").post(url("return_inspect", received.pk), {f"outcome_{items[0].pk}": "restock"})
    assert response.status_code == 400
    assert response.context["inspect_form"].errors[f"outcome_{items[1].pk}"] == [
        _("Choose what becomes of each item.")]
    received.refresh_from_db()
    assert received.status == "received" and not Movement.objects.filter(reference=f"return:{received.pk}").exists()


@pytest.mark.parametrize("typed", ["500,00", "1.234,56", "-10,00", "cem reais"])
def test_a_refund_out_of_bounds_or_not_an_amount_is_said_and_refunds_nothing(client_as, inspected, typed):
    response = client_as("finance").post(url("return_close", inspected.pk), {"refund": typed})
    assert response.status_code == 400 and response.context["close_form"].errors
    assert 'data-testid="close-form"' in page_of(response)
    inspected.refresh_from_db()
    assert (inspected.status, inspected.refunded, inspected.return_invoice_id) == ("inspected", 0, None)
    assert not Refund.objects.exists()


def test_a_refund_too_large_says_the_most_that_can_be_given_back(client_as, inspected):
    response = client_as("finance").post(url("return_close", inspected.pk), {"refund": "R$ 169,71"})
    assert response.context["close_form"].non_field_errors() == [
        _("The refund must be between zero and %(most)s.") % {"most": format_money(Decimal("169.70"))}]


# The list ---------------------------------------------------------------------------------------


@pytest.fixture
def listed(delivered_order, interstate_consumer_order, issuer, packer):
    """Maria's T-shirts approved with a Correios reverse code and her cap refused; João's whole
    order (invoiced and shipped to Belo Horizonte) asked back as damaged."""
    shirt, cap = items_of(delivered_order)
    maria_shirts = returns.return_request(order=delivered_order, quantities={shirt: 2}, reason="regret", user=packer)
    returns.return_approve(request=maria_shirts, user=packer, reverse_code="BQ123456789BR")
    maria_cap = returns.return_request(order=delivered_order, quantities={cap: 1}, reason="defect", user=packer)
    returns.return_refuse(request=maria_cap, user=packer, reason="Sem defeito aparente.")
    joao = interstate_consumer_order
    authorized_nfe(joao, issuer)
    orders.order_ship(order=joao, user=packer)
    joao_all = returns.return_request(order=joao, quantities={item: item.quantity for item in joao.items.all()},
                                      reason="damaged", user=packer)
    return {"shirts": maria_shirts, "cap": maria_cap, "joao": joao_all}


def shown(client, **params):
    return [row.pk for row in client.get(url("return_list"), params).context["table"].page.object_list]


def test_the_list_finds_a_return_by_customer_accents_ignored_order_number_or_reverse_code(client_as, listed):
    client = client_as("staff")
    assert shown(client) == [listed["joao"].pk, listed["cap"].pk, listed["shirts"].pk]  # newest first
    assert shown(client, q="joao souza") == shown(client, q="JOÃO") == [listed["joao"].pk]
    number = listed["shirts"].order.number
    assert shown(client, q=f"#{number}") == shown(client, q=str(number)) == [listed["cap"].pk, listed["shirts"].pk]
    assert shown(client, q="bq 1234") == shown(client, q="BQ123456789BR") == [listed["shirts"].pk]
    assert shown(client, q="ninguém") == []


def test_the_list_filters_by_status_and_reason(client_as, listed):
    client = client_as("manager")
    assert shown(client, status="refused") == [listed["cap"].pk]
    assert shown(client, reason="damaged") == [listed["joao"].pk]
    assert shown(client, status="requested", reason="regret") == []
    assert shown(client, q="maria", status="approved") == [listed["shirts"].pk]
    page = page_of(client.get(url("return_list"), {"status": "closed"}))
    assert 'data-testid="empty-state"' in page


def test_the_list_answers_its_filter_bar_with_the_table_alone(client_as, listed):
    response = client_as("staff").get(url("return_list"), {"q": "joao"}, HTTP_HX_REQUEST="true")
    assert 'id="results"' in page_of(response) and "<html" not in page_of(response)
    assert f'href="{url("return_detail", listed["joao"].pk)}"' in page_of(response)


def test_the_list_runs_the_same_queries_for_25_rows_as_for_100(client_as, listed):
    counts, rows = queries_per_page_size(client_as("staff"), url("return_list"))
    assert counts[0] == counts[1] and rows == [3, 3]


def test_the_list_exports_what_it_shows_as_csv_and_xlsx(client_as, listed):
    client = client_as("finance")
    response = client.get(url("return_list"), {"export": "csv", "reason": "regret"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    row = rows[1]
    assert [row[0], *row[2:5], row[7], row[11], row[14]] == [
        str(listed["shirts"].pk), f"#{listed['shirts'].order.number}", "Maria da Silva", "SP", "2", "BQ123456789BR",
        "0,00"]
    xlsx = client.get(url("return_list"), {"export": "xlsx"})
    assert xlsx["Content-Type"] == XLSX_TYPE
    assert b"".join(xlsx.streaming_content).startswith(b"PK")


# The order page's panel -------------------------------------------------------------------------


def test_the_order_panel_lists_its_returns_and_opens_another_while_units_are_left(client_as, listed, delivered_order,
                                                                                 make_paid_order, customer, address,
                                                                                 returns_panel):
    panel = order_returns_panel(delivered_order)
    assert [(request.pk, request.units) for request in panel["returns"]] == [(listed["cap"].pk, 1),
                                                                               (listed["shirts"].pk, 2)]
    assert panel["returnable"]  # the refused cap may be asked back again
    staff = client_as("staff")
    page = page_of(staff.get(f"/orders/{delivered_order.pk}/"))
    assert page.count('data-testid="order-return"') == 2
    assert f'href="{url("return_detail", listed["shirts"].pk)}"' in page
    assert f'href="{url("return_new", delivered_order.pk)}"' in page

    joao = listed["joao"].order
    assert not order_returns_panel(joao)["returnable"]  # every unit is in its return
    assert f'href="{url("return_new", joao.pk)}"' not in page_of(staff.get(f"/orders/{joao.pk}/"))

    unsent = make_paid_order(customer, address)  # ready to ship: it has not left
    assert order_returns_panel(unsent) == {"returns": [], "has_left": False, "returnable": False}
    waiting = page_of(staff.get(f"/orders/{unsent.pk}/"))
    assert 'data-testid="order-returns"' in waiting and url("return_new", unsent.pk) not in waiting


def test_the_order_panel_offers_no_new_return_to_whoever_only_reads(client_as, delivered_order, returns_panel):
    page = page_of(client_as("finance").get(f"/orders/{delivered_order.pk}/"))
    assert 'data-testid="order-returns"' in page and url("return_new", delivered_order.pk) not in page
