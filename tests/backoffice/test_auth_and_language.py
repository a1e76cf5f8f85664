import re
import time
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

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


def _log_in(client, username, password, address="203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def _is_refused_as_locked(response, client):
    return (response.status_code == 429 and "bloqueado" in response.content.decode()
            and "_auth_user_id" not in client.session)


def test_thirty_wrong_passwords_lock_the_account_and_the_lockout_is_audited(client, role_user):
    user = role_user("staff")
    for _ in range(30):
        _log_in(client, "staff", "wrong")
    assert _is_refused_as_locked(_log_in(client, "staff", PASSWORD), client)
    locked = AuditEvent.objects.filter(action="user.locked_out")
    assert locked.exists()
    assert {(e.object_id, e.ip_address) for e in locked} == {(str(user.pk), "203.0.113.7")}


def test_a_locked_user_is_refused_from_every_address(client, role_user):
    role_user("staff")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "staff", "wrong", address=f"198.51.100.{n}")
    assert _is_refused_as_locked(_log_in(client, "staff", PASSWORD, address="192.0.2.99"), client)


def test_an_address_that_tried_too_many_users_is_refused_for_every_user(client, role_user):
    role_user("staff")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, f"guess{n}", "wrong")
    assert _is_refused_as_locked(_log_in(client, "staff", PASSWORD), client)
    assert _log_in(client, "staff", PASSWORD, address="192.0.2.99").status_code == 302


def test_a_lockout_ends_once_the_cool_off_passes(client, role_user, settings):
    role_user("staff")
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "staff", "wrong")
    assert _is_refused_as_locked(_log_in(client, "staff", PASSWORD), client)
    time.sleep(1.1)
    assert _log_in(client, "staff", PASSWORD).status_code == 302


def test_an_admin_unlocks_a_user_with_the_reset_command(client, role_user):
    role_user("staff")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "staff", "wrong")
    call_command("axes_reset_username", "staff")
    assert _log_in(client, "staff", PASSWORD).status_code == 302


def test_an_admin_unlocks_a_user_in_the_django_admin(client, role_user):
    role_user("staff")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "staff", "wrong")
    client.force_login(role_user("admin", is_staff=True))
    attempts = client.get("/admin/axes/accessattempt/")
    assert attempts.status_code == 200 and "staff" in attempts.content.decode()
    response = client.post("/admin/axes/accessattempt/", {"action": "delete_selected", "select_across": "1",
                                                          "index": "0", "post": "yes", "_selected_action": "x"})
    assert response.status_code == 302
    client.logout()
    assert _log_in(client, "staff", PASSWORD).status_code == 302


def _reset_link():
    (message,) = mail.outbox
    return re.search(rf"{re.escape(settings.SITE_URL)}(/password/reset/\S+/)", message.body).group(1)


def test_the_login_page_offers_a_password_reset(client):
    assert 'href="/password/reset/"' in client.get("/login/").content.decode()
    assert "Esqueceu a senha?" in client.get("/login/").content.decode()


def test_a_password_reset_mails_a_link_that_sets_a_new_password_once(client, role_user):
    user = role_user("staff", email="ana@loja.example")
    response = client.post("/password/reset/", {"email": "ana@loja.example"})
    assert (response.status_code, response["Location"]) == (302, "/password/reset/sent/")
    assert mail.outbox[0].to == ["ana@loja.example"] and mail.outbox[0].subject == "Sua senha do Loja Backoffice"
    assert "Abra este link" in mail.outbox[0].body and "staff" in mail.outbox[0].body
    link = _reset_link()
    form_url = client.get(link)["Location"]
    assert "Escolha uma nova senha" in client.get(form_url).content.decode()
    done = client.post(form_url, {"new_password1": "pix-boleto-2026!", "new_password2": "pix-boleto-2026!"})
    assert (done.status_code, done["Location"]) == (302, "/password/reset/done/")
    user.refresh_from_db()
    assert user.check_password("pix-boleto-2026!")
    assert 'data-testid="reset-invalid"' in client.get(link, follow=True).content.decode()


def test_a_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, role_user):
    role_user("staff", email="ana@loja.example")
    known = client.post("/password/reset/", {"email": "ana@loja.example"}, follow=True)
    mail.outbox.clear()
    unknown = client.post("/password/reset/", {"email": "ninguem@loja.example"}, follow=True)
    assert mail.outbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content.replace(unknown.context["csrf_token"].encode(), b"") == \
        known.content.replace(known.context["csrf_token"].encode(), b"")
    assert "Se alguma conta usa este endereço" in unknown.content.decode()


def test_a_session_ends_after_the_idle_timeout_and_each_request_pushes_it_on(client_as):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    client = client_as("staff")
    client.get("/")
    session = Session.objects.get()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get("/")
    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(hours=8) - timedelta(minutes=1)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/")["Location"].startswith("/login/")


def test_a_database_lost_while_the_session_is_saved_is_a_503_not_a_400(client_as, monkeypatch):
    from django.db import OperationalError

    client = client_as("staff")
    client.raise_request_exception = False

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    # The page was served; the database went away before its session was saved.
    monkeypatch.setattr(Session, "save", unreachable)
    response = client.get("/")
    assert (response.status_code, response["Retry-After"]) == (503, "30")


def test_a_user_changes_their_password(client, role_user):
    user = role_user("finance")
    client.force_login(user)
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "pix-boleto-2026!", "new_password2": "pix-boleto-2026!"},
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
