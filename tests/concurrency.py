"""Work run at once from many threads, each on its own database connection (PostgreSQL tests)."""

import threading

from django.db import connection


def at_once(work, count):
    """Run `work(n)` in `count` threads started together, each on its own connection; the
    results in thread order (an exception, 500s included, is a result too)."""
    start = threading.Barrier(count)
    results = [None] * count

    def run(n):
        try:
            start.wait()
            results[n] = work(n)
        except Exception as error:
            results[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def raised(results) -> list[str]:
    """What `at_once`'s threads raised."""
    return [repr(result) for result in results if isinstance(result, Exception)]
