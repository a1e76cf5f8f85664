"""Settings come from the environment; production settings pass Django's deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import certifi
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "CREDENTIALS_KEYS")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com",
        CREDENTIALS_KEYS=Fernet.generate_key().decode(),
        # Production names the chain SEFAZ's servers are verified against (fiscal.W001 otherwise).
        SEFAZ_CA_BUNDLE=certifi.where(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_credentials_keys_or_with_a_bad_one_fails_the_checks():
    production = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.com"}
    missing = manage("check", **production)
    bad = manage("check", CREDENTIALS_KEYS=f"{Fernet.generate_key().decode()},not-a-key", **production)
    assert (missing.returncode, bad.returncode) == (1, 1)
    assert "backoffice.E001" in missing.stderr and "CREDENTIALS_KEYS is not set" in missing.stderr
    assert "backoffice.E002" in bad.stderr


def test_the_credentials_keys_can_come_from_a_file_and_development_derives_one_from_the_secret_key(tmp_path):
    keys = tmp_path / "credentials-keys"
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys.write_text(f"{new},{old}\n")
    show = "from backoffice.integrations.credentials import keys; print(*keys())"
    from_file = manage("shell", "--no-imports", "-c", show, DEBUG="0", SECRET_KEY="s", ALLOWED_HOSTS="example.com",
                       CREDENTIALS_KEYS_FILE=str(keys))
    derived = [manage("shell", "--no-imports", "-c", show, SECRET_KEY=key).stdout.split()
               for key in ("one", "one", "two")]
    assert from_file.stdout.split() == [new, old], from_file.stderr
    assert derived[0] == derived[1] != derived[2] and len(derived[0]) == 1


def test_the_idle_timeout_and_the_login_lockout_come_from_the_environment():
    show = "from django.conf import settings as s; " \
           "print(s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    result = manage("shell", "--no-imports", "-c", show,
                    SESSION_IDLE_TIMEOUT="900", LOGIN_FAILURE_LIMIT="5", LOGIN_LOCKOUT_MINUTES="120")
    assert result.stdout.split() == ["900", "True", "5", "2:00:00"], result.stderr


def test_debug_off_without_a_secret_key_fails_loudly():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    key = tmp_path / "secret"
    key.write_text(secrets.token_urlsafe(50))
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="0", SECRET_KEY_FILE=str(key), ALLOWED_HOSTS="example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(key.read_text())


def test_the_embedded_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); c.execute('PRAGMA journal_mode');"
        "print(c.fetchone()[0], connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = manage("shell", "-c", code, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["wal", "IMMEDIATE"]


def test_a_killed_workers_tasks_come_back_within_the_visibility_timeout_on_redis():
    """acks_late tasks of a dead worker are restored once the timeout passes; the lock taken to
    restore them, if the worker died holding it, expires no later (kombu's own is 300 s)."""
    show = "from django.conf import settings; o = settings.CELERY_BROKER_TRANSPORT_OPTIONS; " \
           "print(o['visibility_timeout'], o['unacked_restore_interval'], o['unacked_mutex_expire'])"
    short = manage("shell", "--no-imports", "-c", show, CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
                   CELERY_VISIBILITY_TIMEOUT="3")
    default = manage("shell", "--no-imports", "-c", show, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert (short.stdout.split(), default.stdout.split()) == (["3", "3", "3"], ["3600", "60", "300"]), \
        short.stderr + default.stderr
