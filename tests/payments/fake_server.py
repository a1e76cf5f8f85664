"""The sandbox's provider APIs (payments.sandbox) served on a local port, their documents in
plain dicts: the providers' APIs as the tests see them, at the edge of the network."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payments.sandbox import SandboxAPI


def serve(api: SandboxAPI) -> SandboxAPI:
    """Start serving `api`: it gains `url` and `close()`; it keeps every request in `requests`."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, document = api.handle(self.command, self.path, dict(self.headers.items()), body)
            text = isinstance(document, str)
            payload = document.encode() if text else json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/csv; charset=utf-8" if text else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    api.url = f"http://127.0.0.1:{server.server_port}"
    api.close = lambda: (server.shutdown(), server.server_close())
    return api
