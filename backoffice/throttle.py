"""Counts per window in the cache every process shares: how the public endpoints limit what a client
may try (the webhooks' rejected notifications, the tracking page's lookups)."""

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)


def over_limit(counters: Iterable[tuple[str, int]], *, window: int, what: str) -> int:
    """Count one more under each cache key of `counters` ((key, limit) pairs) in the current window of
    `window` seconds: the seconds until the window ends when any count is past its limit, else 0. A cache
    that fails counts nothing (logged as `what` not counted): uncounted is better than a 500."""
    now = timezone.now().timestamp()
    slot, over = int(now // window), False
    for key, limit in counters:
        key = f"{key}:{slot}"
        try:
            cache.add(key, 0, window)
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            count = 1
        except Exception as exc:  # any cache backend's error: the cache is down
            logger.warning("%s not counted, the cache failed: %r", what, exc)
            return 0
        over = over or count > limit
    return int(window - now % window) + 1 if over else 0
