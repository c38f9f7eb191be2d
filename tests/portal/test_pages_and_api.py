"""Pages, API documentation, health check and error responses."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Heartbeat

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"", re.IGNORECASE)
EXTERNAL = re.compile(r"(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)


def assert_self_contained(html):
    assert not INLINE_SCRIPT.search(html), "inline scripts are forbidden by the CSP"
    assert not INLINE_STYLE.search(html), "inline styles are forbidden by the CSP"
    assert not EXTERNAL.search(html), "nothing may load from another host"


@pytest.fixture
def admin_client(verified_client, agency_admin):
    return verified_client(agency_admin)


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "agency_user_list",
        "agency_user_create",
        "agency_api_key_list",
        "agency_api_key_create",
        "password_change",
    ],
)
def test_pages_render_without_inline_code_or_external_assets(admin_client, name):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert_self_contained(response.content.decode())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_sign_in_pages_are_self_contained(client, db):
    for name in ["login", "password_reset"]:
        assert_self_contained(client.get(reverse(name)).content.decode())


def test_navigation_follows_roles(verified_client, officer, agency_admin):
    officer_page = verified_client(officer).get(reverse("dashboard")).content.decode()
    assert reverse("agency_user_list") not in officer_page
    admin_page = verified_client(agency_admin).get(reverse("dashboard")).content.decode()
    assert reverse("agency_user_list") in admin_page
    assert reverse("agency_api_key_list") in admin_page


def test_dashboard_shows_agency_security_events(admin_client, officer):
    from django.test import Client

    Client().post(reverse("login"), {"username": officer.username, "password": "wrong-password"})
    body = admin_client.get(reverse("dashboard")).content.decode()
    assert "login.failed" in body


def test_unknown_page_is_a_friendly_404(admin_client):
    response = admin_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "not shared with you" in response.content.decode()


def test_unknown_api_path_is_json_404(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_server_error_page_renders(client, db):
    from portal.views.core import server_error

    request = client.get("/").wsgi_request
    assert server_error(request).status_code == 500


def test_openapi_schema_lists_the_api(admin_client):
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_api_docs_served_locally(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL.search(html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not INLINE_SCRIPT.search(html)


def test_api_docs_need_authentication(client, db):
    assert client.get("/api/docs/").status_code in {401, 403}
    assert client.get("/api/schema/").status_code in {401, 403}


def test_session_api_access_for_verified_user(admin_client, agency_admin):
    body = admin_client.get("/api/v1/me/").json()
    assert body["kind"] == "user"
    assert "agency_admin" in body["roles"]


def test_api_lists_are_paginated_and_filterable(admin_client, owner_agency, partner_agency):
    body = admin_client.get("/api/v1/countries/", {"page_size": 10}).json()
    assert body["count"] == 249 and len(body["results"]) == 10 and body["next"]
    agencies = admin_client.get("/api/v1/agencies/", {"country": "pl"}).json()
    assert [a["code"] for a in agencies["results"]] == ["PL-SG"]


def test_validation_errors_share_the_error_shape(admin_client):
    response = admin_client.get("/api/v1/agencies/", {"kind": "spaceship"})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and "kind" in body["fields"]


# --- Health check ---------------------------------------------------------------------------------


def alive(*names, ago=0):
    for name in names:
        Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now() - timedelta(seconds=ago)})


def test_healthz_reports_each_component(client, db):
    alive("worker:celery", "beat", "sweeper")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["worker"]["ok"] and body["checks"]["beat"]["ok"] and body["checks"]["deliveries"]["ok"]
    assert body["checks"]["beat"]["sweeper_last_run"]


def test_healthz_is_degraded_when_worker_is_silent(client, db, settings):
    alive("beat", "sweeper")
    alive("worker:celery", ago=settings.WORKER_HEARTBEAT_MAX_AGE + 5)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert not body["checks"]["worker"]["ok"] and body["checks"]["beat"]["ok"]


def test_healthz_blames_beat_not_the_worker_when_beat_stops(client, db, settings):
    alive("worker:celery")
    alive("beat", "sweeper", ago=settings.BEAT_HEARTBEAT_MAX_AGE + 5)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["ok"] and not body["checks"]["beat"]["ok"]


def test_healthz_names_a_stopped_alerts_worker(client, db, settings):
    settings.CELERY_ALERTS_QUEUE = "alerts"
    alive("worker:celery", "beat", "sweeper")
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    queues = body["checks"]["worker"]["queues"]
    assert queues["celery"]["ok"] and not queues["alerts"]["ok"]


def test_healthz_fails_when_broker_is_unreachable(client, db, settings):
    from portal.celery import app

    previous = app.conf.broker_url, app.conf.broker_write_url
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.broker_write_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_a_worker_records_a_heartbeat_for_each_queue_it_consumes(db):
    from types import SimpleNamespace

    from portal.celery import WorkerHeartbeat, app

    app.amqp.queues.select(["celery", "alerts"])
    try:
        WorkerHeartbeat.beat(SimpleNamespace(app=app))
    finally:
        app.amqp.queues.deselect("alerts")
    recent = timezone.now() - timedelta(seconds=5)
    assert Heartbeat.objects.filter(name__in=["worker:celery", "worker:alerts"], at__gt=recent).count() == 2


def test_beat_records_its_own_heartbeat_as_it_ticks(db, tmp_path):
    from portal.celery import BeatScheduler, app

    scheduler = BeatScheduler(app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.setup_schedule()
    scheduler.tick()
    assert Heartbeat.objects.get(name="beat").at > timezone.now() - timedelta(seconds=5)
