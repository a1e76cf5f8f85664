"""The Content-Security-Policy and the cache headers every page carries."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

INLINE_CODE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "an hx-on attribute (eval)": re.compile(r"\s(data-)?hx-on", re.I),
    "an inline <style>": re.compile(r"<style[\s>]", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
}


def _policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    return {name: sources for name, *sources in
            (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())}


@pytest.mark.parametrize("logged_in", [False, True], ids=["login page", "logged-in page"])
def test_pages_allow_only_this_sites_own_scripts_and_styles(client_as, client, logged_in):
    response = client_as("staff").get("/") if logged_in else client.get("/login/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == ["'self'"]
    assert policy["object-src"] == policy["frame-ancestors"] == ["'none'"]


def test_no_template_holds_inline_script_or_style():
    """What the policy refuses inline must live in static/: scanned here, as new templates come."""
    root = Path(settings.BASE_DIR)
    templates = [path for path in root.glob("**/templates/**/*.html") if ".venv" not in path.parts]
    assert len(templates) > 40
    found = [f"{path.relative_to(root)}: {what}" for path in templates for what, pattern in INLINE_CODE.items()
             if pattern.search(path.read_text())]
    assert found == []


def test_a_logged_in_page_is_neither_cached_nor_stored(client_as):
    cache_control = client_as("staff").get("/")["Cache-Control"]
    assert {"private", "no-store"} <= {part.strip() for part in cache_control.split(",")}


def test_api_answers_are_neither_cached_nor_stored(client):
    response = client.post("/api/orders/", "{}", content_type="application/json")
    assert response.status_code == 401
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_static_files_keep_their_caching_and_carry_no_policy(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Content-Security-Policy" not in response
