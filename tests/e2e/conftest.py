import pytest


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, made to stop before the test database is dropped (its
    threads' connections would otherwise keep the database busy)."""
    return live_server
