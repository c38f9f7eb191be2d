"""Interactive API documentation, served from the drf-spectacular sidecar package (no CDN), and
the partner guide next to it, open to the same callers."""

from pathlib import Path

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.authentication import PartnerSystem

# Swagger UI sets element styles from its own script and shows data: images; both stay on
# this one page, whose scripts are still only the portal's own files.
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="portal/api_docs.html")
)

# The partner kit's programs, shown on the guide as they are in the repository.
PARTNER_KIT = Path(settings.BASE_DIR) / "examples" / "partner"
PARTNER_PROGRAMS = ("pull_client.py", "webhook_receiver.py")


def program_source(name):
    """The source of one of the kit's programs, read now, so the guide never shows an old copy;
    None when the deployment left the examples out."""
    try:
        return (PARTNER_KIT / name).read_text(encoding="utf-8")
    except OSError:
        return None


def duration(seconds):
    """A delay as the guide writes it: 30 s, 10 min, 3 h (symbols, the same in every language)."""
    seconds = int(seconds)
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


class PartnerGuide(APIView):
    """How a partner agency's systems consume the portal: keys and scopes, the pull feed,
    acknowledgements, CAP and STIX, webhooks, and the source of the kit's two programs. The
    figures (retries, deadlines) are the portal's settings."""

    renderer_classes = [TemplateHTMLRenderer]
    # Whoever may read the API documentation may read the guide, by the same rule.
    authentication_classes = SpectacularSwaggerSplitView.authentication_classes
    permission_classes = SpectacularSwaggerSplitView.permission_classes

    @extend_schema(exclude=True)
    def get(self, request):
        schedule = settings.ALERTS_RETRY_SCHEDULE
        context = {
            "portal_url": request.build_absolute_uri("/").rstrip("/"),
            "programs": [
                {"name": name, "path": f"examples/partner/{name}", "source": program_source(name)}
                for name in PARTNER_PROGRAMS
            ],
            "retry_attempts": len(schedule) + 1,
            "retry_delays": ", ".join(duration(step) for step in schedule),
            "retry_days": max(1, round(sum(schedule) / 86400)),
            "deadline": settings.ALERTS_DEADLINE,
            # By the `severity` values of the feed's incidents, as a developer meets them.
            "ack_deadlines": [
                (severity, duration(minutes * 60))
                for severity, minutes in sorted(settings.ALERTS_ACK_DEADLINES.items(), key=lambda item: item[1])
            ],
        }
        if isinstance(request.user, PartnerSystem):
            # A key is no credential on the portal's pages: its caller is shown the page as
            # someone not signed in is (no navigation, no account of its own to name).
            context |= {"user": AnonymousUser(), "nav_items": []}
        return Response(context, template_name="portal/partner_guide.html")


partner_guide = PartnerGuide.as_view()
