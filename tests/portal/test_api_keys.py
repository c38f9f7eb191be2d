"""Partner systems authenticate with agency API keys: hashed, scoped, expiring, revocable."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal import services
from portal.models import AgencyAPIKey, APIScope
from tests.helpers import audit_log


def get_me(client, key):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {key}")


def assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_good_key_authenticates_as_its_agency(client, api_key, owner_agency):
    key_obj, raw = api_key()
    response = get_me(client, raw)
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "api_key"
    assert body["agency"]["code"] == owner_agency.code
    assert body["country"] == "LT"
    assert body["scopes"] == ["alerts:read"]
    key_obj.refresh_from_db()
    assert key_obj.last_used_at is not None


def test_key_is_stored_hashed(api_key):
    key_obj, raw = api_key()
    stored = AgencyAPIKey.objects.get(pk=key_obj.pk)
    secret_part = raw.split(".", 1)[1]
    assert secret_part not in stored.hashed_key
    assert secret_part not in stored.id


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key abc.def", "Api-Key ", "Api-Key a.b c"],
)
def test_bad_keys_get_json_401(client, db, header):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"invalid_api_key"}
    assert "Api-Key" in response["WWW-Authenticate"]


def test_right_prefix_wrong_secret_is_refused(client, api_key):
    key_obj, _raw = api_key()
    assert_error(get_me(client, f"{key_obj.prefix}.{'x' * 32}"), 401, "invalid_api_key")


def test_revoked_key_is_refused(client, api_key, agency_admin):
    key_obj, raw = api_key()
    services.api_key_revoke(api_key=key_obj, actor=agency_admin)
    assert_error(get_me(client, raw), 401, "revoked_api_key")
    assert audit_log().filter(action="api_key.revoked").exists()
    assert audit_log().filter(action="api.authentication_failed").exists()


def test_expired_key_is_refused(client, api_key):
    key_obj, raw = api_key(expires_at=timezone.now() + datetime.timedelta(days=1))
    AgencyAPIKey.objects.filter(pk=key_obj.pk).update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))
    assert_error(get_me(client, raw), 401, "expired_api_key")


def test_no_credentials_get_json_401(client, db):
    assert_error(client.get("/api/v1/me/"), 401, "not_authenticated")


def test_key_without_needed_scope_gets_403(client, api_key, monkeypatch):
    from portal.api.views import AgencyList

    # Restored afterwards: the directory itself is open to any key.
    monkeypatch.setattr(AgencyList, "required_scopes", {"GET": APIScope.INCIDENTS_READ})
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    response = client.get("/api/v1/agencies/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert_error(response, 403, "permission_denied")
    assert audit_log().filter(action="permission.denied").exists()
    _key, raw = api_key(scopes=[APIScope.INCIDENTS_READ])
    assert client.get("/api/v1/agencies/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200


def test_key_creation_validates_input(owner_agency, agency_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.api_key_create(agency=owner_agency, name="x", scopes=["root"], expires_at=None, actor=agency_admin)
    with pytest.raises(ValidationError):
        services.api_key_create(agency=owner_agency, name="x", scopes=[], expires_at=None, actor=agency_admin)
    with pytest.raises(ValidationError):
        services.api_key_create(
            agency=owner_agency,
            name="x",
            scopes=["alerts:read"],
            expires_at=timezone.now() - datetime.timedelta(days=1),
            actor=agency_admin,
        )
    assert AgencyAPIKey.objects.count() == 0


def test_management_command_creates_lists_and_revokes(client, owner_agency, capsys):
    call_command(
        "api_keys",
        "create",
        "--agency",
        owner_agency.code,
        "--name",
        "Gateway",
        "--scope",
        "alerts:read",
        "--scope",
        "alerts:ack",
        "--expires",
        "2099-01-01",
    )
    out = capsys.readouterr().out
    raw = out.strip().splitlines()[-1]
    assert get_me(client, raw).status_code == 200
    key_obj = AgencyAPIKey.objects.get()
    assert key_obj.scopes == ["alerts:ack", "alerts:read"]
    assert audit_log().get(action="api_key.created").actor_label == "manage.py api_keys"

    call_command("api_keys", "list")
    assert key_obj.prefix in capsys.readouterr().out

    call_command("api_keys", "revoke", key_obj.prefix)
    assert get_me(client, raw).status_code == 401


def test_management_command_reports_unknown_agency(db):
    with pytest.raises(CommandError, match="No agency"):
        call_command("api_keys", "create", "--agency", "XX-NONE", "--name", "n", "--scope", "alerts:read")


# --- Portal pages for agency administrators -----------------------------------------------------


def test_agency_admin_issues_key_shown_once(verified_client, agency_admin, client):
    admin_client = verified_client(agency_admin)
    response = admin_client.post(
        reverse("agency_api_key_create"), {"name": "Alert gateway", "scopes": ["alerts:read"], "expires_on": ""}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key_obj = AgencyAPIKey.objects.get()
    raw = response.context["raw_key"]
    assert raw.startswith(key_obj.prefix + ".")
    listing = admin_client.get(reverse("agency_api_key_list")).content.decode()
    assert "Alert gateway" in listing and raw not in listing


def test_key_form_shows_errors_next_to_fields(verified_client, agency_admin):
    admin_client = verified_client(agency_admin)
    response = admin_client.post(reverse("agency_api_key_create"), {"name": "", "expires_on": "2001-01-01"})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "scopes", "expires_on"}
    assert AgencyAPIKey.objects.count() == 0


def test_revoking_needs_confirmation(verified_client, agency_admin, api_key, client):
    key_obj, _raw = api_key()
    admin_client = verified_client(agency_admin)
    url = reverse("agency_api_key_revoke", args=[key_obj.prefix])
    confirm = admin_client.get(url)
    assert "Revoke this API key?" in confirm.content.decode()
    key_obj.refresh_from_db()
    assert not key_obj.revoked
    admin_client.post(url)
    key_obj.refresh_from_db()
    assert key_obj.revoked and key_obj.revoked_by == agency_admin


def test_other_agencies_keys_are_invisible(verified_client, foreign_admin, api_key):
    key_obj, _raw = api_key()
    other = verified_client(foreign_admin)
    assert key_obj.prefix not in other.get(reverse("agency_api_key_list")).content.decode()
    assert other.get(reverse("agency_api_key_revoke", args=[key_obj.prefix])).status_code == 404
    assert other.post(reverse("agency_api_key_revoke", args=[key_obj.prefix])).status_code == 404
    key_obj.refresh_from_db()
    assert not key_obj.revoked


def test_officer_cannot_manage_keys(verified_client, officer):
    client = verified_client(officer)
    assert client.get(reverse("agency_api_key_list")).status_code == 403
    assert audit_log().filter(action="permission.denied", actor=officer).exists()


@given(header=st.text(max_size=200))
@example(header="\x00")
@example(header="abc\x00.def")
@example(header="Ux8tKfKD.3JNw6FZxPuYXmoy02BGRKykq7DEZFBML")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_authorization_header_gets_a_json_answer_never_a_500(client, db, header):
    try:
        header.encode("latin-1")
    except UnicodeEncodeError:
        header = header.encode("utf-8").decode("latin-1")
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Api-Key " + header)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
