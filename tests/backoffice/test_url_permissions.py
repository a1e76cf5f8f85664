"""Walk every URL pattern as an anonymous user and as each role: login redirect or 403
where not allowed, never a 500."""

import re
import uuid

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from backoffice.roles import ROLES

# Open without login, each revealing nothing beyond its purpose.
# (And /healthz, answered by a middleware.) The survey's key is the signed link it is sent with.
PUBLIC = {"login", "set_language", "admin:login", "admin:logout", "orders:survey", "logistics:track",
          "logistics:track_return", "analytics:collect", "password_reset", "password_reset_done",
          "password_reset_confirm", "password_reset_complete"}
# Check the permission of the importer named in the URL or stored on the import.
IMPORTER_PERMISSION = {"import_new", "import_template", "import_detail"}
# Open to every logged-in user.
LOGIN_ONLY = {"home", "logout", "password_change", "password_change_done", "admin:view_on_site",
              "saved_filter_save", "saved_filter_delete"}  # each user's own filters

SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.UUID(int=1))}


def _route(pattern):
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], str(pattern))
    regex = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    regex = re.sub(r"\(\?P<\w+>[^)]*\)", "1", regex)
    return regex.replace("\\", "").replace("?", "")


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + _route(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", "/" + prefix + _route(entry.pattern), entry.callback


URLS = sorted(walk(get_resolver().url_patterns), key=lambda u: u[1])


def test_the_walk_finds_the_platform_pages():
    names = {name for name, _, _ in URLS}
    assert {"home", "audit_list", "jobs", "job_run", "health", "admin:index", "inventory:product_list"} <= names


@pytest.mark.parametrize("name,url,view", URLS, ids=[u[1] for u in URLS])
def test_anonymous_users_are_sent_to_login_unless_the_page_is_public(db, client, name, url, view):
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code < 500, f"{method.__name__} {url}"
        if getattr(view, "api_token_required", False):
            assert response.status_code == 401, url  # the JSON API: its token, never a session
            continue
        if getattr(view, "provider_signed", False):
            assert response.status_code in (401, 404, 405), url  # a webhook: the provider's signature
            continue
        if name in PUBLIC:
            continue
        assert response.status_code == 302, f"{method.__name__} {url} answered {response.status_code}"
        # The Django admin sends to its own login form, which logs in the same users.
        logins = [resolve_url(settings.LOGIN_URL)] + (["/admin/login/"] if name.startswith("admin:") else [])
        assert any(response["Location"].startswith(f"{login}?next=") for login in logins), url


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_where_it_lacks_the_permission_and_never_a_500(client, role_user, role):
    user = role_user(role, is_staff=role in ("ops", "admin"))
    client.force_login(user)
    for name, url, view in URLS:
        if name in ("logout", "admin:logout"):
            continue  # logging out would end the walk
        required = getattr(view, "required_permissions", None)
        if getattr(view, "api_token_required", False):
            assert client.post(url).status_code == 401, url
            continue
        if getattr(view, "provider_signed", False):
            assert client.post(url).status_code in (401, 404), url
            continue
        if not name.startswith("admin:") and name not in PUBLIC | LOGIN_ONLY | IMPORTER_PERMISSION:
            assert required, f"{name} ({url}) checks no permission: wrap it in @require(...)"
        for method in (client.get, client.post):
            response = method(url)
            status = response.status_code
            assert status < 500, f"{role} {method.__name__} {url}"
            if required and not user.has_perms(required):
                assert status == 403, f"{role} {method.__name__} {url} answered {status}"
            elif required:
                assert status != 403, f"{role} {method.__name__} {url} answered 403"
            if name.startswith("admin:") and name not in PUBLIC and not user.is_staff:
                assert status == 302 and "/admin/login/" in response["Location"], url
