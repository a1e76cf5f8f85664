"""The home page's work list: how many things wait for each role (orders to validate, webhooks
failed, jobs failed …), each count linked to the list that shows exactly those rows. Each app
registers its sources in `AppConfig.ready()`, as notices do; a user sees the counts of the sources
whose permission they hold, grouped in sections."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkCount:
    label: str  # translatable: what is counted ("Orders to validate")
    count: int
    url: str  # the list filtered to exactly these rows, with its query string
    level: str = "warning"  # a Bootstrap colour while there is something to do: danger, warning, info
    detail: str = ""  # a line under the label: which ones, or a comparison ("vs R$ 1.234,56 yesterday")

    @property
    def tone(self) -> str:
        """Its colour: `level`, muted when nothing waits."""
        return self.level if self.count else "secondary"


@dataclass(frozen=True)
class WorkSource:
    permission: str
    counts: Callable[[], Iterable[WorkCount]]  # one cheap query: the home page runs every source a user may see
    section: str = ""  # sources of the same section show together
    order: int = 50  # sections appear in the order of their first source, as the navigation's


@dataclass(frozen=True)
class WorkSection:
    label: str
    counts: list[WorkCount]


WORK_SOURCES: list[WorkSource] = []


def register_work(source: WorkSource):
    WORK_SOURCES.append(source)


def work_for(user) -> list[WorkSection]:
    """The counts `user` may see, by section."""
    sections: dict[str, list[WorkCount]] = {}
    for source in sorted(WORK_SOURCES, key=lambda source: source.order):
        if user.has_perm(source.permission):
            sections.setdefault(str(source.section), []).extend(source.counts())
    return [WorkSection(label, counts) for label, counts in sections.items()]
