"""The order list's bulk operations on the ticked orders: orders' own (tag, cancel) and those
the apps downstream of orders register in `AppConfig.ready()` (fiscal: issue their NF-e), as
they register the order page's panels. A user is offered the ones whose permission they hold."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services


@dataclass(frozen=True)
class BulkResult:
    """What an operation did: one line saying what was done (empty: nothing) and one line per
    order it refused, saying why."""

    done: str = ""
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BulkOperation:
    key: str  # the `operation` the list's form posts
    label: str  # the option, completing "With the ticked orders:"
    permission: str
    # run(orders=[Order, … by number], user=, data=request.POST) -> BulkResult
    run: Callable[..., BulkResult]


def _cancel(*, orders, user, data) -> BulkResult:
    done, refused = 0, []
    for order in orders:
        try:
            services.order_cancel(order=order, user=user, reason=data.get("reason", ""))
            done += 1
        except services.OrderError as exc:
            refused.append(f"#{order.number}: {exc}")
    message = ngettext("%(count)d order cancelled.", "%(count)d orders cancelled.", done) % {"count": done}
    return BulkResult(message if done else "", refused)


def _tag(*, orders, user, data) -> BulkResult:
    try:
        count = services.orders_tag(orders=orders, name=data.get("tag", ""), user=user)
    except services.OrderError as exc:
        return BulkResult(refused=[str(exc)])
    return BulkResult(ngettext("%(count)d order tagged.", "%(count)d orders tagged.", count) % {"count": count})


BULK_OPERATIONS: dict[str, BulkOperation] = {
    operation.key: operation for operation in (
        BulkOperation("tag", _("tag as"), "orders.transition_order", _tag),
        BulkOperation("cancel", _("cancel, because"), "orders.transition_order", _cancel),
    )
}


def register_bulk_operation(operation: BulkOperation):
    BULK_OPERATIONS[operation.key] = operation


def bulk_operations(user) -> list[BulkOperation]:
    """The operations `user` may run, orders' own first."""
    return [operation for operation in BULK_OPERATIONS.values() if user.has_perm(operation.permission)]
