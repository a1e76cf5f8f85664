"""The address form in a real Chromium, in sandbox mode as `make run` has it: the CEP typed
fills the street, district, UF and city from the app's own ViaCEP sandbox, all still editable."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_modules import SHOTS, _login, browser_page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_type_a_cep_and_get_the_street_district_and_city_filled(role_user, live_server, browser_page,
                                                                      settings):
    from orders.models import Customer

    settings.CEP_SANDBOX = True
    settings.VIACEP_API_URL = f"{live_server.url}/orders/sandbox/viacep"
    role_user("staff")
    page, problems = browser_page
    _login(page, live_server, "staff")

    page.goto(f"{live_server.url}/orders/customers/new/")
    page.fill("#id_customer-name", "Joana Souza")
    page.fill("#id_customer-document", "390.533.447-05")
    page.fill("#id_address-cep", "01001-000")
    page.press("#id_address-cep", "Tab")
    expect(page.locator("#id_address-street")).to_have_value("Praça da Sé")
    expect(page.locator("#id_address-district")).to_have_value("Sé")
    expect(page.locator("#id_address-uf")).to_have_value("SP")
    expect(page.locator("#id_address-city")).to_have_value("3550308")
    expect(page.locator("#id_address-recipient")).to_be_focused()  # the Tab's place, kept
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "customer_form.png", full_page=True)
    page.fill("#id_address-street", "Praça da Sé, lado ímpar")  # still editable
    page.fill("#id_address-number", "1")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/orders/customers/*/")
    address = Customer.objects.get().addresses.get()
    assert (address.street, address.district, address.city_id) == ("Praça da Sé, lado ímpar", "Sé", "3550308")
    assert problems == [], "\n".join(problems)
