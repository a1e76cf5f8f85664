"""One app's external systems, each registered once: the model fields' choices, the client for a
code and its sandbox are all read from the app's Registry."""

from dataclasses import dataclass
from functools import partial

from django.utils.functional import Promise
from django.utils.module_loading import import_string

from .base import Provider
from .sandbox import SandboxAPI, StoredDocuments


@dataclass(frozen=True)
class Entry:
    code: str
    label: str | Promise
    client: str  # dotted path of the Provider subclass
    sandbox: str | None  # dotted path of its SandboxAPI subclass; None: the provider has no sandbox


class Registry:
    """An app's providers by code, in the order they were added. Clients and sandboxes are named by
    dotted path and imported on first use, so a model's choices read the registry without importing
    any client. Codes key the sandbox documents too: keep them unique across the apps."""

    def __init__(self):
        self.entries: dict[str, Entry] = {}

    def add(self, code: str, label: str | Promise, client: str, *, sandbox: str | None = None) -> None:
        if code in self.entries:
            raise ValueError(f"provider {code!r} is registered already")
        self.entries[code] = Entry(code, label, client, sandbox)

    def __contains__(self, code) -> bool:
        return code in self.entries

    def __iter__(self):
        return iter(self.entries)

    def choices(self) -> list[tuple[str, str | Promise]]:
        """(code, label) of each provider, for a model field's or a filter's `choices`."""
        return [(entry.code, entry.label) for entry in self.entries.values()]

    def provider(self, code: str) -> Provider:
        """The client of `code` (KeyError for a code not registered)."""
        return import_string(self.entries[code].client)()

    def sandboxed(self) -> list[str]:
        """The codes of the providers that have a sandbox."""
        return [entry.code for entry in self.entries.values() if entry.sandbox]

    def sandbox(self, code: str) -> SandboxAPI:
        """The sandbox of `code` over the documents kept in the database (KeyError: it has none)."""
        if not self.entries[code].sandbox:
            raise KeyError(code)
        return import_string(self.entries[code].sandbox)(partial(StoredDocuments, code))
