"""Sections of the order page that belong to the apps downstream of orders (payments,
shipments, invoices): each registers one in `AppConfig.ready()`, as navigation does, and a
user sees the ones whose permission they hold."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPanel:
    template: str  # rendered with `order`, `request` and what `context(order)` returns
    permission: str
    context: Callable[[object], dict]
    order: int = 50


ORDER_PANELS: list[OrderPanel] = []


def register_order_panel(panel: OrderPanel):
    ORDER_PANELS.append(panel)


def order_panels(order, user) -> list[dict]:
    return [{"template": panel.template, **panel.context(order)}
            for panel in sorted(ORDER_PANELS, key=lambda panel: panel.order) if user.has_perm(panel.permission)]
