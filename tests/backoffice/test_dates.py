"""The periods the screens show and the months around one."""

from datetime import date

import pytest

from backoffice.dates import month_after, month_before, period_bounds


@pytest.mark.parametrize("kind, anchor, bounds", [
    ("day", date(2026, 3, 18), (date(2026, 3, 18), date(2026, 3, 18))),
    ("week", date(2026, 3, 18), (date(2026, 3, 16), date(2026, 3, 22))),
    ("month", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
    ("month", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
    ("month", date(9999, 12, 31), (date(9999, 12, 1), date(9999, 12, 31))),  # no day after it to count back from
])
def test_period_bounds(kind, anchor, bounds):
    assert period_bounds(kind, anchor) == bounds


@pytest.mark.parametrize("day, before, after", [
    (date(2026, 3, 31), date(2026, 2, 1), date(2026, 4, 1)),
    (date(2026, 1, 1), date(2025, 12, 1), date(2026, 2, 1)),
    (date(2024, 2, 29), date(2024, 1, 1), date(2024, 3, 1)),
    (date(2026, 12, 15), date(2026, 11, 1), date(2027, 1, 1)),
])
def test_the_months_around_a_day_start_on_their_first_day(day, before, after):
    assert (month_before(day), month_after(day)) == (before, after)
