"""A small partner server for the demo: it receives pushed alerts and checks their signatures."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts.models import Subscription

DEMO_SUBSCRIPTION = "Demo receiver"


WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class Command(BaseCommand):
    help = "Receive the demo's pushed alerts on 127.0.0.1 and print them (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8001)

    def handle(self, *args, port, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Only available when DEMO_MODE is on.")
        out, seen = self.stdout, set()

        def secrets():
            subscription = Subscription.objects.filter(name=DEMO_SUBSCRIPTION).first()
            return subscription.secrets if subscription else []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                message_id = self.headers.get("webhook-id", "")
                headers = {name: self.headers.get(name, "") for name in WEBHOOK_HEADERS}
                valid = False
                for secret in secrets():  # the reference library, as a partner would use it
                    try:
                        Webhook(secret).verify(body, headers, json_parse=False)
                    except WebhookVerificationError:
                        continue
                    valid = True
                    break
                status = 204 if valid else 401
                self.send_response(status)
                self.end_headers()
                event = json.loads(body or b"{}")  # the Standard Webhooks envelope: type, timestamp, data
                repeat = " (repeat, ignored)" if message_id in seen else ""
                seen.add(message_id)
                data = event.get("data") or {}
                incident = data.get("incident") or {}
                out.write(
                    f"[receiver] {event.get('type')} {data.get('reference')} "
                    f"{incident.get('category', data.get('reason') or '')} "
                    f"signature {'ok' if valid else 'INVALID'}{repeat}"
                )

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        out.write(f"[receiver] listening on http://127.0.0.1:{port}/alerts")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
