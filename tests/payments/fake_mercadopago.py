"""A local stand-in for Mercado Pago's API (GET /v1/payments/{id}), serving payment
documents in the format of ../shared/contracts/mercadopago/, and a signer for its webhooks."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from payments.providers.mercadopago import signature_manifest

# Copies of the documented samples (shared/contracts/mercadopago; sources in its NOTES.md).
CONTRACTS = Path(__file__).resolve().parent / "contracts" / "mercadopago"


def sample_payment(**changes) -> dict:
    """The documented payment resource (credit card, approved), with `changes` applied."""
    document = json.loads((CONTRACTS / "payment_credit_card_adb_mock.json").read_text())
    document.update(changes)
    return document


class FakeMercadoPago:
    def __init__(self):
        self.payments: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append((self.path, self.headers.get("Authorization", "")))
                payment = fake.payments.get(self.path.rsplit("/", 1)[-1])
                body = json.dumps(payment if payment else {"message": "not found", "status": 404}).encode()
                self.send_response(200 if payment else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signed_headers(secret: str, data_id: str, request_id: str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
                   ts: str = "1704908010") -> dict:
    manifest = signature_manifest(data_id, request_id, ts)
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"HTTP_X_SIGNATURE": f"ts={ts},v1={v1}", "HTTP_X_REQUEST_ID": request_id}
