"""Sessions kept in the database, as Django keeps them; but a database that cannot be reached
while a session is saved (every request saves it: the idle timeout) stays that error, answered
503 with Retry-After by the error handler, not Django's 400 "the session was deleted"."""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError


class SessionStore(DatabaseSessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            if isinstance(exc.__context__, (OperationalError, InterfaceError)):
                raise exc.__context__ from None
            raise
