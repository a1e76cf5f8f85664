"""Real Celery worker processes for the tests that need them (a Redis broker, PostgreSQL)."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")


def start_worker(*options: str, **env: str) -> subprocess.Popen:
    """A worker process (solo pool) on the test database, with `env` added to its environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "--without-gossip",
         "--without-mingle", "--loglevel=WARNING", *options],
        cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_URL": database_url(), **env},
    )
