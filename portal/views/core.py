"""Dashboard, health check and error pages."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import audit, heartbeat, registry, selectors, services
from portal.api.exceptions import json_error
from portal.celery import app as celery_app
from portal.roles import administers

logger = logging.getLogger(__name__)


@login_required
def dashboard(request):
    user = request.user
    context = {
        "security_events": selectors.recent_security_events_for(user),
        # Each app's card; counts are reads of shared data too, through each app's gate.
        "panels": [
            (panel.template, shown)
            for panel in registry.dashboard_panels()
            if (shown := panel.context(user)) is not None
        ],
    }
    if administers(user):
        context["agency_user_count"] = selectors.agency_users_for(user).filter(is_active=True).count()
        context["agency_key_count"] = sum(
            1 for key in selectors.agency_api_keys_for(user).filter(revoked=False) if key.state == "active"
        )
    return render(request, "portal/dashboard.html", context)


@login_required
def notification_list(request):
    """The user's own notifications; opening the page marks them read."""
    page = Paginator(request.user.notifications.all(), 25).get_page(request.GET.get("page"))
    unread_ids = [n.pk for n in page if n.read_at is None]
    response = render(request, "portal/notifications.html", {"page": page, "unread_ids": set(unread_ids)})
    services.notification_mark_read(user=request.user, notification_ids=unread_ids)
    return response


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}


def _check_broker():
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return {"ok": True}
    except Exception as exc:
        logger.warning("health check: broker unreachable: %s", exc)
        return {"ok": False, "error": exc.__class__.__name__}


def _check_workers():
    """A sign of life of a worker on each queue the portal sends to, written on the workers'
    own timer (so a stopped beat does not make a worker look stopped)."""
    queues = sorted({"celery", settings.CELERY_ALERTS_QUEUE})
    checks = {queue: heartbeat.age(f"worker:{queue}", settings.WORKER_HEARTBEAT_MAX_AGE) for queue in queues}
    return {"ok": all(check["ok"] for check in checks.values()), "queues": checks}


def _check_beat():
    """Beat's own sign of life, and when the alerts sweeper (which only beat starts) last ran."""
    check = heartbeat.age("beat", settings.BEAT_HEARTBEAT_MAX_AGE)
    sweeper = heartbeat.age("sweeper", settings.ALERTS_SWEEP_INTERVAL * 4)
    return {**check, "sweeper_last_run": sweeper["last"]}


def _guarded(check):
    try:
        return check()
    except Exception as exc:  # the database being down is reported by its own check
        return {"ok": False, "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request):
    """503 when the database or broker is down; "degraded" when a worker, beat or an app's own
    check (the alert deliveries) is not well, each reported on its own."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    checks["worker"] = _guarded(_check_workers)
    checks["beat"] = _guarded(_check_beat)
    for name, check in registry.health_checks().items():
        checks[name] = _guarded(check)
    if not (checks["database"]["ok"] and checks["broker"]["ok"]):
        state, code = "fail", 503
    elif not all(check["ok"] for check in checks.values()):
        state, code = "degraded", 200
    else:
        state, code = "ok", 200
    return JsonResponse({"status": state, "checks": checks}, status=code)


def _wants_json(request):
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _wants_json(request):
        return json_error(400, "bad_request", _("Bad request."))
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    user = getattr(request, "user", None)
    audit.record(
        "permission.denied",
        actor=user if user and user.is_authenticated else None,
        request=request,
        details={"path": request.path, "method": request.method},
    )
    if _wants_json(request):
        return json_error(403, "permission_denied", _("You do not have permission to perform this action."))
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if _wants_json(request):
        return json_error(404, "not_found", _("Not found."))
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return json_error(500, "server_error", _("Internal error. It has been logged."))
    return render(request, "500.html", status=500)
