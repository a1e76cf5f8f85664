"""The store website's rollup and metrics (backoffice.metrics), from the tracking script's events
(analytics.tracking): its sessions and page views, the shopping funnel — sessions that viewed a
product, added to the cart, began the checkout — and the conversion of sessions into orders."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from backoffice.metrics import COUNT, PERCENT, SCORE, Metric, Rollup, percent, ratio

from .models import SiteEvent

Kind = SiteEvent.Kind


def _events(kind: str) -> Count:
    return Count("pk", filter=Q(kind=kind))


def _sessions(kind: str) -> Count:
    """The sessions that sent at least one event of `kind`: a step of the funnel."""
    return Count("session", distinct=True, filter=Q(kind=kind))


SITE = Rollup(
    "analytics.site", model="analytics.SiteEvent", moment="at",
    measures={
        "sessions": Count("session", distinct=True),
        "page_views": _events(Kind.PAGE_VIEW),
        "product_views": _events(Kind.PRODUCT_VIEW),
        "add_to_carts": _events(Kind.ADD_TO_CART),
        "checkout_starts": _events(Kind.CHECKOUT_START),
        "product_sessions": _sessions(Kind.PRODUCT_VIEW),
        "cart_sessions": _sessions(Kind.ADD_TO_CART),
        "checkout_sessions": _sessions(Kind.CHECKOUT_START),
    },
    watches={"analytics.SiteEvent": "pk"},
)

SITE_METRICS = (
    SITE,
    Metric("analytics.sessions", _("Site sessions"), COUNT, ("analytics.site:sessions",),
           description=_("Visits to the store's website: one per browser tab, bots left out.")),
    Metric("analytics.page_views", _("Page views"), COUNT, ("analytics.site:page_views",),
           description=_("Pages of the store's website opened, bots left out.")),
    Metric("analytics.views_per_session", _("Pages per session"), SCORE,
           ("analytics.site:page_views", "analytics.site:sessions"), ratio),
    Metric("analytics.conversion", _("Conversion rate"), PERCENT,
           ("orders.sales:web_orders", "analytics.site:sessions"), percent,
           description=_("The web store's orders as a share of the website's sessions.")),
    Metric("analytics.product_sessions", _("Sessions that viewed a product"), COUNT,
           ("analytics.site:product_sessions",)),
    Metric("analytics.cart_sessions", _("Sessions that added to the cart"), COUNT, ("analytics.site:cart_sessions",)),
    Metric("analytics.checkout_sessions", _("Sessions that began the checkout"), COUNT,
           ("analytics.site:checkout_sessions",)),
)
