"""The navigation: each app registers its module pages in `AppConfig.ready()`; a user sees
the entries whose permission they hold."""

from dataclasses import dataclass

from django.urls import reverse

from .roles import role_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    permission: str | None = None  # None: every logged-in user
    section: str = ""
    order: int = 50  # sections appear in the order of their first item: domain modules 50, platform 90+


NAVIGATION: list[NavItem] = []


def register_nav(*items: NavItem):
    NAVIGATION.extend(items)


def navigation(request):
    """Context processor: the entries the user may open, grouped by section, and their role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = []
    for item in sorted(NAVIGATION, key=lambda item: item.order):
        if item.permission is None or user.has_perm(item.permission):
            entries.append({"item": item, "url": reverse(item.url_name), "active": False})
    # The entry whose URL is the longest prefix of the page's path is the current one.
    matching = [e for e in entries
                if request.path == e["url"] or (e["url"] != "/" and request.path.startswith(e["url"]))]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    sections: dict[str, list] = {}
    for entry in entries:
        sections.setdefault(str(entry["item"].section), []).append(entry)
    return {"nav_sections": sections, "user_roles": role_of(user)}
