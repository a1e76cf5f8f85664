"""Payment notifications, signed as Mercado Pago signs them, posted to the real endpoint of
the gunicorn server by several senders at once and processed by the Celery worker on Redis
(which fetches each payment from the provider's API — the sandbox, on the same server — and
credits its order). Anchors: the same server's `/healthz` under the same senders (the HTTP
stack's ceiling), and the same processing done in this one process, without the queue."""

import threading
import time

from bench.core import HTTP, Measure, Result, scenario, start_worker

SENDERS = 4


def bench_account():
    from payments.models import ProviderAccount

    account, _ = ProviderAccount.objects.get_or_create(
        provider="mercadopago", name="Bench Mercado Pago",
        defaults={"credentials": {"access_token": "APP_USR-bench-token", "webhook_secret": "bench-webhook-secret"}})
    return account


def notifications(account, count):
    """`count` awaiting orders paid in the sandbox: the signed notifications to deliver."""
    from orders.models import Order, Status
    from payments.providers import sandbox

    orders = list(Order.objects.select_related("customer").filter(status=Status.AWAITING_PAYMENT, paid_amount=0)
                  .order_by("-pk")[:count])
    if len(orders) < count:
        raise RuntimeError(f"only {len(orders)} orders await payment; seed more orders")
    api = sandbox("mercadopago")
    return [api.pay(account, order=order, amount=order.total, installments=3) for order in orders]


def post_all(url, requests, label):
    """(method, path, headers, body) requests sent by SENDERS connections at once."""
    measure = Measure(label)
    lock = threading.Lock()

    def send(share):
        client = HTTP(url)
        for method, path, headers, body in share:
            answer = client.timed(method, path, body, headers)
            with lock:
                measure.record(*answer)

    threads = [threading.Thread(target=send, args=(requests[n::SENDERS],)) for n in range(SENDERS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    measure.per_second = len(requests) / (time.perf_counter() - began)
    return measure


def process_here(account, batch) -> Measure:
    """The anchor: receive and process each notification in this process, one after another."""
    from urllib.parse import parse_qsl

    from payments import services

    began = time.perf_counter()
    for note in batch:
        path, _, query = note.path.partition("?")
        event = services.webhook_receive(account=account, headers=note.headers, query=dict(parse_qsl(query)),
                                         body=note.body)
        services.webhook_process(event_id=event.pk)
    return Measure("same work in one process", per_second=len(batch) / (time.perf_counter() - began),
                   unit="events/s")


def wait_processed(account, since, count, timeout=300) -> tuple[float, int]:
    """(the moment the last of `count` events received since `since` was processed, how many
    failed), waiting at most `timeout` seconds."""
    from django.db.models import Max

    from payments.models import WebhookEvent

    events = WebhookEvent.objects.filter(account=account, received_at__gte=since)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = events.filter(status__in=[WebhookEvent.Status.PROCESSED, WebhookEvent.Status.FAILED]).count()
        if done >= count:
            break
        time.sleep(0.2)
    last = events.aggregate(last=Max("processed_at"))["last"]
    failed = events.exclude(status=WebhookEvent.Status.PROCESSED).count()
    return (last.timestamp() if last else time.time()), failed


@scenario("payment webhooks")
def payment_webhooks(bench):
    from celery import current_app
    from django.utils import timezone

    account = bench_account()
    count = bench.webhooks
    anchor_processing = process_here(account, notifications(account, count // 4))
    current_app.control.purge()  # the anchor's own tasks: already processed, nothing left to do
    batch = notifications(account, count)
    worker = start_worker(bench.url)
    time.sleep(3)  # the worker connects to Redis
    since, wall_start = timezone.now(), time.time()
    accepted = post_all(bench.url, [("POST", n.path, n.headers, n.body) for n in batch], "signed POST → 200")
    last, failed = wait_processed(account, since, count)
    processed = Measure("processed by the worker", per_second=count / max(last - wall_start, 1e-9), unit="events/s",
                        errors=failed)
    healthz = post_all(bench.url, [("GET", "/healthz", {}, None)] * count, "/healthz, same senders")
    bench.rss["celery worker (one pool process)"] = worker.peak_rss_mib()
    worker.stop()
    accepted.unit = "events/s"
    return [
        Result("webhooks accepted", accepted, healthz,
               notes=[f"{count} Mercado Pago notifications, {SENDERS} senders"]),
        Result("webhooks processed", processed, anchor_processing,
               notes=["worker with 2 pool processes on Redis; each event fetches the payment from the sandbox API "
                      "over HTTP and credits its order"]),
    ]
