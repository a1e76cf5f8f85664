"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins made through a request (the login pages, Django's
    and the admin's, always pass it). Code that checks a password with no request, as the test
    client's `login()` does, has no address to throttle and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials=None) -> str:
    """The username axes counts failures for, as typed but cut to what its log holds (255):
    Django's login forms do not check the length, and no user's name is longer."""
    source = credentials if credentials else request.POST
    return str(source.get("username") or "")[:255]
