"""The 400, 403, 404, 500 and refused-form (CSRF) pages, with DEBUG off as in production: in the
layout, in the reader's language; the 500 is drawn without the database."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.test import Client

from backoffice.views import server_error

pytestmark = pytest.mark.django_db

TITLES = {
    400: {"en": "Bad request", "pt-br": "Requisição inválida"},
    403: {"en": "Access denied", "pt-br": "Acesso negado"},
    "csrf": {"en": "The form has expired", "pt-br": "O formulário expirou"},
    404: {"en": "Page not found", "pt-br": "Página não encontrada"},
    500: {"en": "Something went wrong", "pt-br": "Algo deu errado"},
    503: {"en": "Back in a moment", "pt-br": "Voltamos em instantes"},
}
HOME = {"en": "Go to the home page", "pt-br": "Ir para a página inicial"}


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def _styled(html, language, title):
    """The page is drawn in the layout (its stylesheets), in `language`, with its title."""
    assert f'<html lang="{language}">' in html
    assert "vendor/bootstrap/bootstrap.min.css" in html and "css/app.css" in html
    assert f"<title>{title} · Loja Backoffice</title>" in html and HOME[language] in html
    assert "{#" not in html and "{%" not in html  # no template comment leaks onto the page
    return True


def _speaking(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_a_missing_page_is_a_styled_404_in_the_readers_language_with_the_menu(client_as, language):
    response = _speaking(client_as("staff"), language).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and _styled(html, language, TITLES[404][language])
    assert 'id="sidebar"' in html  # a signed-in user keeps the menu


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_a_page_the_role_does_not_allow_is_a_styled_403(client_as, language):
    response = _speaking(client_as("staff"), language).get("/audit/")
    assert response.status_code == 403 and _styled(response.content.decode(), language, TITLES[403][language])


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_a_request_for_another_host_is_a_styled_400(client, language):
    response = _speaking(client, language).get("/login/", HTTP_HOST="evil.example")
    html = response.content.decode()
    assert response.status_code == 400 and _styled(html, language, TITLES[400][language])
    assert 'id="sidebar"' not in html  # nobody is signed in: one card


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_a_form_sent_without_its_csrf_token_is_a_styled_403(role_user, language):
    client = _speaking(Client(enforce_csrf_checks=True), language)
    client.force_login(role_user("staff"))
    response = client.post("/filters/save/", {"path": "/orders/", "name": "x"})
    assert response.status_code == 403
    assert _styled(response.content.decode(), language, TITLES["csrf"][language])


def _failing_session_save(monkeypatch, error):
    def fail(*args, **kwargs):
        raise error

    # The page was served; saving its session failed after it.
    monkeypatch.setattr(Session, "save", fail)


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_an_error_is_a_styled_500_in_the_readers_language(client_as, monkeypatch, language):
    client = _speaking(client_as("staff"), language)
    client.raise_request_exception = False
    _failing_session_save(monkeypatch, ValueError("a bug"))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 500 and _styled(html, language, TITLES[500][language])
    assert 'id="sidebar"' not in html and "a bug" not in html


def test_the_500_page_reads_nothing_from_the_database(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500 and _styled(response.content.decode(), "pt-br", TITLES[500]["pt-br"])


@pytest.mark.parametrize("language", ["en", "pt-br"])
def test_a_database_away_is_still_a_503_with_retry_after_in_the_layout(client_as, monkeypatch, language):
    client = _speaking(client_as("staff"), language)
    client.raise_request_exception = False
    _failing_session_save(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    response = client.get("/")
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert _styled(response.content.decode(), language, TITLES[503][language])
