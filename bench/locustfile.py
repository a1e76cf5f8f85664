"""The load test's users (run by bench/load.py, which prepares what they need in the
environment): staff browsing and working — the order list, filters, an order's page, a
status change — and a provider delivering payment notifications."""

import json
import os
import random
import re
from itertools import count

from locust import HttpUser, between, task

COOKIE = os.environ["LOAD_COOKIE"]
ORDER_PKS = json.loads(os.environ["LOAD_ORDER_PKS"])
SHIPPED = iter(json.loads(os.environ["LOAD_SHIPPED_PKS"]))
NOTIFICATIONS = iter(json.loads(open(os.environ["LOAD_NOTIFICATIONS"]).read()))
FILTERS = ["status=delivered", "status=awaiting_payment", "channel=mercadolivre", "ship_uf=SP&status=shipped",
           "channel=web&page=3", "status=paid", "page=20"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "100000"))
sent = count()


class Bounded:
    def check_bound(self):
        if next(sent) >= MAX_REQUESTS:
            self.environment.runner.quit()


class Staff(HttpUser, Bounded):
    wait_time = between(0.5, 2)
    weight = 9

    def on_start(self):
        name, _, value = COOKIE.partition("=")
        self.client.cookies.set(name, value)

    @task(4)
    def order_list(self):
        self.check_bound()
        self.client.get("/orders/", name="/orders/")

    @task(3)
    def filtered_list(self):
        self.check_bound()
        self.client.get(f"/orders/?{random.choice(FILTERS)}", name="/orders/?<filter>")

    @task(3)
    def open_order(self):
        self.check_bound()
        self.client.get(f"/orders/{random.choice(ORDER_PKS)}/", name="/orders/<pk>/")

    @task(1)
    def deliver_order(self):
        """Open a shipped order and mark it delivered (a form post with its CSRF token)."""
        pk = next(SHIPPED, None)
        if pk is None:
            return
        self.check_bound()
        page = self.client.get(f"/orders/{pk}/", name="/orders/<pk>/")
        token = CSRF.search(page.text)
        if token:
            self.client.post(f"/orders/{pk}/deliver/", data={"csrfmiddlewaretoken": token.group(1)},
                             headers={"Referer": f"{self.host}/orders/{pk}/"}, name="/orders/<pk>/deliver/")


class Provider(HttpUser, Bounded):
    """Mercado Pago delivering signed notifications, each once."""

    wait_time = between(0.1, 0.5)
    weight = 1

    @task
    def notify(self):
        notification = next(NOTIFICATIONS, None)
        if notification is None:
            return
        self.check_bound()
        self.client.post(notification["path"], data=notification["body"].encode(), headers=notification["headers"],
                         name="/payments/webhooks/<provider>/<account>/")
