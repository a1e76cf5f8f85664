"""A sandbox's API (backoffice.integrations.sandbox) served on a local port, its documents in plain
dicts: an external system's API as the tests see it, at the edge of the network."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from backoffice.integrations.sandbox import SandboxAPI, encoded


def serve(api: SandboxAPI) -> SandboxAPI:
    """Start serving `api`: it gains `url` and `close()`; it keeps every request in `requests`."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, document = api.handle(self.command, self.path, dict(self.headers.items()), body)
            content_type, payload = encoded(document)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
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
