"""The bench harness: Django set up on the bench database, the scenario registry, the servers
a scenario measures (gunicorn, a Celery worker), an HTTP client with a logged-in session, and
the results (a table and a JSON file).

A scenario is a function registered with `@scenario("name")`; it gets the `Bench` and returns
`Result`s, each with the anchor measured beside it in the same run. A later app adds its own
scenario module to `SCENARIO_MODULES` in bench/__main__.py."""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "var" / "bench"
SCENARIOS = {}


def arguments(prog: str, doc: str, *, web_workers: int) -> argparse.ArgumentParser:
    """The options every bench command has: the store's size and the web workers."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the store, seeded once (1,000,000)")
    parser.add_argument("--web-workers", type=int, default=web_workers,
                        help=f"gunicorn workers (default {web_workers})")
    return parser


def setup_django():
    """Production settings on the bench database (DATABASE_URL, PostgreSQL)."""
    # Run as a script, bench/ would be first on the path and bench/inventory.py shadow the app.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for key, value in bench_environment().items():
        os.environ.setdefault(key, value)
    import django

    django.setup()


def bench_environment() -> dict:
    """What the bench's own process and the servers it starts run with."""
    return {
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14"),
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
        # Production settings: no query log kept per connection, as DEBUG would.
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-a-secret",
        "CREDENTIALS_KEYS": "YmVuY2gtb25seS1ub3QtYS1zZWNyZXQtMzItYnl0ZXM=",  # b"bench-only-not-a-secret-32-bytes"
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PAYMENTS_SANDBOX": "1",
        # Plain HTTP on the loopback (in production a proxy in front terminates TLS).
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }


def require_postgresql():
    """The bench database on PostgreSQL, created when it does not exist yet."""
    from django.conf import settings
    from django.db import OperationalError, connection

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The benchmarks run on PostgreSQL: set DATABASE_URL (make bench sets it to BENCH_DATABASE_URL).")
    try:
        connection.ensure_connection()
    except OperationalError as error:
        if "does not exist" not in str(error):
            sys.exit(f"Cannot connect to the bench database: {error}")
        import psycopg
        from psycopg import sql

        params = connection.get_connection_params()
        name = params.pop("dbname")
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created the database {name!r}")


def prepare_store(orders: int) -> float | None:
    """Migrate, collect the static files (gunicorn serves the manifest's names) and seed the
    store up to `orders` orders; the seconds seeding took, or None when it was there."""
    from django.core.management import call_command

    from bench.seed import seed, seeded_orders

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    present = seeded_orders()
    if present >= orders:
        return None
    print(f"seeding {orders - present:,} orders (the store has {present:,}) …", flush=True)
    seconds = seed(orders - present)
    print(f"  seeded in {seconds:.0f} s")
    return seconds


def scenario(name: str):
    def register(function):
        SCENARIOS[name] = function
        return function

    return register


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Measure:
    """What was measured: latencies in seconds (`samples`) and/or a rate (`per_second`, in `unit`)."""

    label: str
    samples: list[float] = field(default_factory=list)
    per_second: float | None = None
    unit: str = "req/s"
    errors: int = 0

    def record(self, seconds: float, status: int):
        """One answer: its latency when it is a 200, else an error."""
        if status == 200:
            self.samples.append(seconds)
        else:
            self.errors += 1

    def summary(self) -> dict:
        figures = {"label": self.label, "count": len(self.samples), "errors": self.errors,
                   "per_second": self.per_second, "unit": self.unit}
        if self.samples:
            figures.update({f"p{q}_ms": round(percentile(self.samples, q / 100) * 1000, 1) for q in (50, 95, 99)})
        return figures


@dataclass
class Result:
    """One row of the table: a measure, the anchor measured beside it, the budget and notes."""

    name: str
    measure: Measure
    anchor: Measure | None = None
    budget: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    by_rate: bool = False  # compared by throughput even where latencies were measured

    def rate_ratio(self) -> float | None:
        if self.anchor and self.measure.per_second and self.anchor.per_second:
            return self.measure.per_second / self.anchor.per_second
        return None

    def ratio(self) -> str:
        """How this compares with the anchor: p95 over the anchor's p95 for latencies (< 1 is
        faster), else (or `by_rate`) the rate over the anchor's rate (> 1 is faster)."""
        if not self.anchor:
            return ""
        if self.measure.samples and self.anchor.samples and not self.by_rate:
            return f"{percentile(self.measure.samples, .95) / percentile(self.anchor.samples, .95):.2f}× p95"
        if (rate := self.rate_ratio()) is not None:
            return f"{rate:.2f}× rate"
        return ""

    def as_json(self) -> dict:
        return {"name": self.name, "measure": self.measure.summary(),
                "anchor": self.anchor.summary() if self.anchor else None,
                "ratio": self.ratio(), "budget": self.budget, "met": self.met, "notes": self.notes}


def _cells(measure: Measure | None) -> list[str]:
    if measure is None:
        return ["", "", "", "", ""]
    s = measure.summary()
    rate = f"{measure.per_second:,.0f} {measure.unit}" if measure.per_second is not None else ""
    if not measure.samples:
        return [measure.label, "", "", "", rate]
    return [measure.label, f"{s['p50_ms']}", f"{s['p95_ms']}", f"{s['p99_ms']}", rate]


def table(results: list[Result]) -> str:
    header = ["scenario", "measured", "p50 ms", "p95 ms", "p99 ms", "throughput", "anchor", "p50 ms", "p95 ms",
              "p99 ms", "throughput", "ratio", "errors", "budget"]
    rows = [header]
    for result in results:
        verdict = "" if result.met is None else (" met" if result.met else " MISSED")
        rows.append([result.name, *_cells(result.measure), *_cells(result.anchor), result.ratio(),
                     str(result.measure.errors), result.budget + verdict])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"  {result.name}: {note}" for result in results for note in result.notes]
    return "\n".join(lines + ([""] + notes if notes else []))


def write_json(results: list[Result], meta: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / time.strftime("%Y-%m-%dT%H%M%SZ.json", time.gmtime())
    path.write_text(json.dumps({**meta, "results": [r.as_json() for r in results]}, indent=2, ensure_ascii=False))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    """The highest resident set (VmHWM) of a process and of its children, in MiB."""
    peaks = []
    for process in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except FileNotFoundError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return max(peaks, default=0.0)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


class Server:
    """A process the bench starts (gunicorn, a Celery worker) and stops at the end."""

    def __init__(self, command: list[str], env: dict, log: str):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = (LOGS / log).open("w")
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def peak_rss_mib(self) -> float:
        """The largest child's peak: one gunicorn or Celery pool worker."""
        return max((peak_rss_mib(child) for child in _children(self.process.pid)), default=0.0)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def start_web(workers: int = 2, port: int | None = None, env: dict | None = None) -> tuple[Server, str]:
    """gunicorn with `workers` sync workers (`env` added to this process's environment);
    returns it and its base URL once /healthz answers."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    server = Server([sys.executable, "-m", "gunicorn", "backoffice.wsgi", "--workers", str(workers),
                     "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--log-level", "warning"],
                    {"SITE_URL": url, **(env or {})}, "gunicorn.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if HTTP(url).get("/healthz")[0] == 200:
                return server, url
        except OSError:
            pass
        if server.process.poll() is not None:
            break
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn did not start: see {server.log.name}")


def start_worker(site_url: str, concurrency: int = 2) -> Server:
    return Server([sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--concurrency", str(concurrency),
                   "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                  {"SITE_URL": site_url}, "celery-worker.log")


class HTTP:
    """One keep-alive connection to the server, as a browser tab; `cookie` logs it in."""

    def __init__(self, base_url: str, cookie: str = ""):
        host, port = base_url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.cookie = cookie

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {**(headers or {}), **({"Cookie": self.cookie} if self.cookie else {})}
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            raise
        return response.status, response.read()

    def get(self, path: str):
        return self.request("GET", path)

    def timed(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        began = time.perf_counter()
        status, content = self.request(method, path, body, headers)
        return time.perf_counter() - began, status


def session_cookie(user) -> str:
    """A logged-in session for `user`, as the browser would hold it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def browse(base_url: str, cookie: str, paths: list[str], label: str) -> Measure:
    """GET each path in turn on one connection; latencies of the 200s, the rest counted as errors."""
    client = HTTP(base_url, cookie)
    measure = Measure(label)
    for path in paths:
        measure.record(*client.timed("GET", path))
    if measure.samples:
        measure.per_second = len(measure.samples) / sum(measure.samples)
    return measure
