"""Checks shared by the list screens' tests."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_per_page_size(client, url, params=None) -> tuple[list[int], list[int]]:
    """The queries run and the rows shown by the list at `url` for a page of 25 rows and one of 100."""
    counts, shown = [], []
    for per_page in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {**(params or {}), "per_page": per_page})
        assert response.status_code == 200, url
        counts.append(len(queries))
        shown.append(len(response.context["table"].page.object_list))
    return counts, shown
