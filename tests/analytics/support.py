"""What the analytics tests do to the store: orders placed at a chosen day."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from analytics.rollups import SAO_PAULO
from orders import services as orders


def place(customer, address, product, *, days_ago=0, quantity=1, channel="web"):
    """An order of `quantity` × `product`, placed at 10:00 `days_ago` days ago (or now, when that is later)."""
    at = min(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(10), tzinfo=SAO_PAULO),
             timezone.now())
    order, _ = orders.order_create(customer=customer, address=address, channel=channel, placed_at=at,
                                   items=[orders.ItemInput(product, quantity, product.price)])
    return order
