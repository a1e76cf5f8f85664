"""PostgreSQL restarted under load: gunicorn's workers answer 503 with Retry-After while it is
down (no 500, no hung request, no dead worker) and serve again once it is back, without
anyone restarting them."""

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connections
from django.utils import translation

from bench.core import HTTP, session_cookie, start_web
from tests.workers import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def postgresql(action: str):
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True,
                   capture_output=True)


def wait_until_ready():
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


@pytest.fixture
def can_restart():
    if not (shutil.which("pg_ctlcluster") and Path("/etc/postgresql").is_dir()):
        pytest.skip("needs the local cluster's pg_ctlcluster (Debian's PostgreSQL)")


def test_requests_fail_cleanly_while_postgresql_restarts_and_recover_by_themselves(can_restart, role_user, settings):
    cookie = session_cookie(role_user("staff"))
    # Production settings, and persistent connections: each is checked before reuse after the restart.
    env = {"DATABASE_URL": database_url(), "DATABASE_CONN_MAX_AGE": "60", "DEBUG": "0",
           "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "0",
           "CELERY_BROKER_URL": "memory://"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=settings.BASE_DIR, env={**os.environ, **env}, check=True)
    web, url = start_web(2, env=env)
    workers = set()
    answers, failures = [], []
    stop = threading.Event()

    def browse():
        client = HTTP(url, cookie)
        while not stop.is_set():
            began = time.monotonic()
            try:
                status, body = client.get("/orders/")
            except OSError as error:  # refused or reset: the request did not get an answer
                failures.append(repr(error))
                continue
            answers.append((began, time.monotonic() - began, status, body))

    try:
        workers = {int(pid) for pid in subprocess.run(["pgrep", "-P", str(web.process.pid)], capture_output=True,
                                                       text=True).stdout.split()}
        threads = [threading.Thread(target=browse) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        down = time.monotonic()
        postgresql("stop")
        time.sleep(3)
        postgresql("start")
        wait_until_ready()
        up = time.monotonic()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        after = {int(pid) for pid in subprocess.run(["pgrep", "-P", str(web.process.pid)], capture_output=True,
                                                     text=True).stdout.split()}
    finally:
        stop.set()
        web.stop()
        connections.close_all()  # this process's connections died with the server

    statuses = {status for _, _, status, _ in answers}
    assert failures == []
    assert statuses <= {200, 503}, statuses
    unavailable = [body for _, _, status, body in answers if status == 503]
    assert unavailable, "no request reached the server while PostgreSQL was down"
    with translation.override("pt-br"):  # the UI's language
        assert translation.gettext("The database is not answering right now. Try again in a minute.") in \
            unavailable[0].decode()
    assert max(seconds for _, seconds, _, _ in answers) < 30
    # Every request answered before PostgreSQL was told to stop was served (one begun a moment
    # before may meet it stopping: that one may be a 503).
    served_before = [status for began, seconds, status, _ in answers if began + seconds < down]
    assert served_before and set(served_before) == {200}
    # Back to normal within a second of PostgreSQL accepting connections, by the same workers.
    recovered = [status for began, _, status, _ in answers if began > up + 1]
    assert recovered and set(recovered) == {200}
    assert after == workers

