"""Links for the reference keys one app writes on another's rows ("order:2001" on a stock
movement or a reservation): the app that owns the prefix registers how to name and link its
keys, so inventory shows a link to an order without importing orders.

    register_reference("order", resolve)   # resolve(["2001", ...]) -> {"2001": ("#10234", "/orders/2001/")}
"""

from collections import defaultdict
from typing import Callable, Iterable

RESOLVERS: dict[str, Callable[[list[str]], dict[str, tuple[str, str]]]] = {}


def register_reference(prefix: str, resolve: Callable[[list[str]], dict[str, tuple[str, str]]]):
    RESOLVERS[prefix] = resolve


def reference_links(references: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(label, URL) of each reference whose owner knows it, one query per prefix for them all;
    a reference of no registered prefix (an NF-e number typed at receipt) is left out."""
    keys = defaultdict(set)
    for reference in references:
        prefix, _, key = (reference or "").partition(":")
        if key and prefix in RESOLVERS:
            keys[prefix].add(key)
    links = {}
    for prefix, wanted in keys.items():
        links.update({f"{prefix}:{key}": link for key, link in RESOLVERS[prefix](sorted(wanted)).items()})
    return links
