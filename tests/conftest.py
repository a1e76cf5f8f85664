"""Fixtures shared by every app's tests, and the rules for tests that need real services.

Tests marked `postgres`, `redis` or `e2e` are skipped, with the reason shown, when the
service is absent; with REQUIRE_SERVICES=1 (as `.ci/run` sets) they fail instead.
"""

import os
import shutil
import threading
from contextlib import contextmanager

import pytest
from celery.result import allow_join_result
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from django.utils import translation

from backoffice.celery import app as celery_app
from orders.models import Address, City, Customer
from tests.factories import UserFactory
from tests.migrations import migrate_to, migrate_to_latest

CHROMIUM = "/usr/bin/chromium"


class OneBrowserRequestAtATime(ThreadedWSGIServer):
    """The live server on SQLite. Its threads share the tests' one in-memory connection (Django
    passes it to them), so two browser requests at once — an HTMX check while a form posts —
    would interleave their savepoints and transactions. They take turns here. The app's own
    calls to the live server (a sandbox's API, a notification it delivers), made through httpx
    while a request waits for their answer, go in at once."""

    turn = threading.Lock()

    def set_app(self, application):
        def one_at_a_time(environ, start_response):
            if environ.get("HTTP_USER_AGENT", "").startswith("python-httpx/"):
                return application(environ, start_response)
            with self.turn:
                answer = application(environ, start_response)
                try:
                    return list(answer)
                finally:
                    answer.close()  # Django's request_finished, inside the turn

        super().set_app(one_at_a_time)


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    LiveServerThread.server_class = OneBrowserRequestAtATime


def _missing_service(marker):
    if marker == "postgres" and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs Redis: set CELERY_BROKER_URL=redis://..."
    if marker == "e2e" and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "e2e"):
        if marker in item.keywords and (reason := _missing_service(marker)):
            if os.environ.get("REQUIRE_SERVICES") == "1":
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture
def role_user(db):
    """`role_user("ops")`: a user in that role's group."""

    def make(role, **kwargs):
        user = UserFactory(username=kwargs.pop("username", role), **kwargs)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture(autouse=True)
def _store_language():
    """Each test starts in the store's language (pt-BR), whatever the one before it left active
    in this thread: a request activates its reader's language and nothing switches it back."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_real_cep_lookup(settings):
    """No test asks the real ViaCEP or the real carriers: their URLs are a port that refuses, unless
    the test serves the sandbox there (tests/orders/test_cep_lookup.py, tests/logistics/)."""
    settings.VIACEP_API_URL = "http://127.0.0.1:9"
    settings.CORREIOS_API_URL = settings.MELHORENVIO_API_URL = "http://127.0.0.1:9"


@pytest.fixture
def client_as(client, role_user):
    """`client_as("finance")`: the test client logged in as a user of that role."""

    def login(role):
        client.force_login(role_user(role))
        return client

    return login


@pytest.fixture
def customer(db):
    return Customer.objects.create(kind="person", name="Maria da Silva", document="39053344705",
                                   email="maria@example.com")


@pytest.fixture
def address(customer):
    """A complete address in São Paulo/SP."""
    return Address.objects.create(
        customer=customer, recipient="Maria da Silva", cep="01310100", street="Avenida Paulista", number="1000",
        district="Bela Vista", city=City.objects.get(code="3550308"), is_default=True,
    )


@pytest.fixture
def broker_down():
    """Publishing fails as it does with Redis down (a port nobody listens on, one quick
    retry); calling the fixture's value brings the broker back."""
    conf = celery_app.conf
    saved = conf.broker_write_url, conf.task_publish_retry_policy

    def reconnect():
        # Celery keeps its producer pool: without it the next message connects as configured now.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def restore():
        conf.broker_write_url, conf.task_publish_retry_policy = saved
        reconnect()

    conf.broker_write_url = "redis://127.0.0.1:9/0"
    conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1,
                                      "interval_max": 0.1}
    reconnect()
    yield restore
    restore()


@pytest.fixture
def run_queued_tasks(django_capture_on_commit_callbacks):
    """`with run_queued_tasks(): …` — the tasks the block queues after commit
    (send_after_commit) run for real, in this process as a worker runs them (Celery's eager
    mode): as the block ends, or at each commit in a transactional test."""

    @contextmanager
    def run():
        celery_app.conf.task_always_eager = True
        try:
            # allow_join_result restores, as the block ends, Celery's process-wide "in a task" flag,
            # which tasks run eagerly in several threads at once can leave set (their saves and
            # restores of it interleave), failing any later result.get().
            with allow_join_result(), django_capture_on_commit_callbacks(execute=True) as callbacks:
                yield callbacks
        finally:
            celery_app.conf.task_always_eager = False

    return run


@pytest.fixture
def migrations():
    """`migrations(targets)` moves the database to those migrations (a transactional test's
    data-migration check) and gives their historical models; afterwards the database is back
    at the latest migrations, which the tests after it need."""
    yield migrate_to
    migrate_to_latest()
