"""Walk every URL route of the portal (read from the resolver, so new routes are covered by
themselves) as three personas, and check that no route leaks a foreign incident or agreement."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from agreements.models import DocumentVersion
from incidents import services as incident_services
from tests.conftest import make_verified

SKIP_PREFIXES = ("admin/", "static/", "i18n/", "account/", "healthz")


def routes():
    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns, "") if not r.startswith(SKIP_PREFIXES)})


def fill(route, ids):
    """A concrete path: every id parameter gets the foreign objects' ids, slugs a real step."""

    def value(match):
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(ids.get(name, ids["pk"]))
        if converter == "slug":
            return {"step": "validate", "target": "suspended", "action": "deactivate"}.get(name, "x")
        return ids.get(name, "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def secrets(lt_pl_in_force, make_incident, officer, owner_liaison):
    """An LT incident shared with PL (an LT-PL clause), with a comment and a follow-up."""
    incident = make_incident("validated", has_personal_data=True, person_name="Secret Person")
    incident_services.comment_add(incident=incident, actor=officer, body="Secret comment")
    version = DocumentVersion.objects.filter(document__agreement=lt_pl_in_force).first()
    return incident, lt_pl_in_force, version


def test_routes_are_found():
    found = routes()
    assert "incidents/<int:pk>/" in found and "api/v1/agreements/<int:pk>/" in found


@pytest.mark.parametrize("method", ["get", "post"])
def test_country_without_clause_sees_nothing_anywhere(secrets, client, outsider_liaison, method):
    incident, agreement, version = secrets
    make_verified(client, outsider_liaison)
    for ids in ({"pk": incident.pk}, {"pk": agreement.pk, "version_pk": version.pk, "version_id": version.pk}):
        for route in routes():
            path = fill(route, ids)
            response = getattr(client, method)(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode(errors="replace")
            assert incident.reference not in text, path
            assert "Secret" not in text, path
            assert agreement.reference not in text, path
            assert response.status_code in {200, 302, 400, 403, 404, 405, 415}, (path, response.status_code)
            if re.search(r"^/(incidents|agreements|api/v1/agreements)/\d+", path):
                assert response.status_code in {403, 404, 405}, (path, response.status_code)


def test_partner_with_clause_sees_the_incident_without_personal_data(secrets, client, partner_officer):
    incident, _agreement, _version = secrets
    make_verified(client, partner_officer)
    for route in routes():
        if "<" in route and not route.startswith("incidents/"):
            continue
        path = fill(route, {"pk": incident.pk})
        response = client.get(path)
        if response.streaming:
            continue
        assert "Secret Person" not in response.content.decode(errors="replace"), path
    assert incident.reference in client.get("/incidents/").content.decode()


def test_owner_sees_everything(secrets, client, officer):
    incident, _agreement, _version = secrets
    make_verified(client, officer)
    body = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Secret Person" in body and "Secret comment" in body
