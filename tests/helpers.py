"""Test helpers shared by unit and integration tests."""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A partner's server on 127.0.0.1: checks signatures, records webhook-ids, answers as told."""

    def __init__(self, secret):
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.answers, self.received, self.bad_signatures = [], [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                message_id, stamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
                expected = base64.b64encode(
                    hmac.new(receiver.key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
                ).decode()
                offered = [s.split(",", 1)[1] for s in self.headers["webhook-signature"].split()]
                if expected not in offered:
                    receiver.bad_signatures += 1
                receiver.received.append((message_id, json.loads(body)))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                status, delay = answer if isinstance(answer, tuple) else (answer, 0)
                if delay:
                    time.sleep(delay)  # a slow partner server, on purpose
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "120")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/portal"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def unique_ids(self):
        return {message_id for message_id, _body in self.received}
