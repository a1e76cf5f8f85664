"""Notices on the home page (and the ops' health page): what an app warns its users of before
it bites — a certificate about to expire, a tax authority down. Each app registers its sources in
`AppConfig.ready()`, as navigation does; a user sees the notices of the sources whose permission
they hold."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    text: str
    level: str = "warning"  # a Bootstrap alert colour: info, warning, danger
    url: str = ""  # where to act on it
    link: str = ""  # the link's text


@dataclass(frozen=True)
class NoticeSource:
    permission: str
    notices: Callable[[], Iterable[Notice]]


NOTICE_SOURCES: list[NoticeSource] = []


def register_notices(source: NoticeSource):
    NOTICE_SOURCES.append(source)


def notices_for(user) -> list[Notice]:
    """The notices `user` may see, the most urgent first."""
    found = [notice for source in NOTICE_SOURCES if user.has_perm(source.permission) for notice in source.notices()]
    urgency = {"danger": 0, "warning": 1}
    return sorted(found, key=lambda notice: urgency.get(notice.level, 2))
