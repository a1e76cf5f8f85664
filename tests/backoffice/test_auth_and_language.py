from pathlib import Path

import polib
import pytest
from django.conf import settings

from backoffice.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_user_logs_in_and_out(client, role_user):
    role_user("staff")
    response = client.post("/login/", {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_a_wrong_password_gets_a_clear_message_in_portuguese(client, role_user):
    role_user("staff")
    response = client.post("/login/", {"username": "staff", "password": "wrong"})
    assert response.status_code == 200
    assert "Por favor, entre com um usuário  e senha corretos" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_changes_their_password(client, role_user):
    user = role_user("finance")
    client.force_login(user)
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": "pix-boleto-2026!", "new_password2": "pix-boleto-2026!"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("pix-boleto-2026!")
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor == user


def test_a_short_new_password_is_refused_with_a_reason(client, role_user):
    user = role_user("finance")
    client.force_login(user)
    response = client.post("/password/", {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"})
    assert response.status_code == 200
    assert "muito curta" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("url", ["/", "/jobs/", "/health/", "/audit/", "/password/"])
def test_pages_render_in_portuguese_by_default(client_as, url):
    response = client_as("admin").get(url)
    html = response.content.decode()
    assert response["Content-Language"] == "pt-br"
    assert '<html lang="pt-br">' in html
    assert "Sair" in html and "Alterar senha" in html


def test_the_login_page_is_in_portuguese_and_offers_english(client):
    html = client.get("/login/").content.decode()
    assert "Entrar" in html
    assert '<option value="en">English</option>' in html


def test_switching_to_english_changes_the_pages(client_as):
    client = client_as("admin")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/jobs/"})
    assert response.status_code == 302
    html = client.get("/jobs/").content.decode()
    assert '<html lang="en">' in html
    assert "Log out" in html and "Run now" in html
    client.post("/i18n/setlang/", {"language": "pt-br", "next": "/"})
    assert "Executar agora" in client.get("/jobs/").content.decode()


def test_the_portuguese_catalogue_is_complete_and_compiled():
    folder = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(folder / "django.mo"))}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == (entry.msgstr, entry.msgstr_plural), (
            f"django.mo is older than django.po at {entry.msgid!r}: run `make messages`"
        )
