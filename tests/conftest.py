"""Shared fixtures: the three personas, verified sessions, API keys, and service checks."""

import os
import shutil
import socket

import pytest
from django_otp.oath import totp

from portal import services
from portal.models import APIScope, Country
from portal.testing import Receiver, make_verified
from tests.factories import AgencyFactory, UserFactory

PASSWORD = "Correct-Horse-42!"


def require(available, what):
    """Skip on a laptop without the service; fail in CI, where PORTAL_REQUIRE_SERVICES=1."""
    if available:
        return
    message = f"{what} is not available"
    if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (PORTAL_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def chromium_path():
    return os.environ.get("PORTAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def lithuania(db):
    return Country.objects.get(pk="LT")


@pytest.fixture
def owner_agency(db):
    return AgencyFactory(code="LT-SBGS", name="State Border Guard Service", country=Country.objects.get(pk="LT"))


@pytest.fixture
def partner_agency(db):
    return AgencyFactory(code="PL-SG", name="Polish Border Guard", country=Country.objects.get(pk="PL"))


@pytest.fixture
def outsider_agency(db):
    return AgencyFactory(code="FI-RVL", name="Finnish Border Guard", country=Country.objects.get(pk="FI"))


@pytest.fixture
def officer(owner_agency):
    return UserFactory(username="lt.officer", agency=owner_agency)


@pytest.fixture
def agency_admin(owner_agency):
    return UserFactory(username="lt.admin", agency=owner_agency, is_officer=False, is_agency_admin=True)


@pytest.fixture
def foreign_admin(partner_agency):
    return UserFactory(username="pl.admin", agency=partner_agency, is_officer=False, is_agency_admin=True)


@pytest.fixture
def verified_client(client):
    def _login(user):
        return make_verified(client, user)

    return _login


@pytest.fixture
def api_key(owner_agency, agency_admin):
    def _make(scopes=(APIScope.ALERTS_READ,), agency=None, expires_at=None):
        return services.api_key_create(
            agency=agency or owner_agency,
            name="Gateway",
            scopes=list(scopes),
            expires_at=expires_at,
            actor=agency_admin,
        )

    return _make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is Django's business; the suite only needs passwords to round-trip.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Clock:
    """Moves the portal's notion of now (`django.utils.timezone.now`) without waiting."""

    def __init__(self, monkeypatch):
        from django.utils import timezone

        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        import datetime

        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(autouse=True)
def _default_language():
    # A request in French leaves French active in this thread; the next test starts in English.
    yield
    from django.utils import translation

    translation.deactivate()


# --- Agreements -----------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def owner_liaison(owner_agency):
    return UserFactory(username="lt.liaison", agency=owner_agency, is_officer=False, is_liaison=True)


@pytest.fixture
def partner_liaison(partner_agency):
    return UserFactory(username="pl.liaison", agency=partner_agency, is_officer=False, is_liaison=True)


@pytest.fixture
def outsider_liaison(outsider_agency):
    return UserFactory(username="fi.liaison", agency=outsider_agency, is_officer=False, is_liaison=True)


@pytest.fixture
def partner_officer(partner_agency):
    return UserFactory(username="pl.officer", agency=partner_agency)


@pytest.fixture
def outsider_officer(outsider_agency):
    return UserFactory(username="fi.officer", agency=outsider_agency)


@pytest.fixture
def make_agreement(owner_agency, partner_agency, owner_liaison, partner_liaison):
    """A bilateral LT-PL agreement, optionally with a clause and brought into force."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from agreements import services as agreement_services
    from agreements.models import AgreementStatus

    counter = iter(range(1, 1000))

    def _make(status="draft", clause=None, expires_on=None, partner=None, **fields):
        # `partner`: (agency, liaison) of another party than PL's.
        other, other_liaison = partner or (partner_agency, partner_liaison)
        agreement = agreement_services.agreement_create(
            parties=[(owner_agency, [owner_liaison]), (other, [other_liaison])],
            actor=owner_liaison,
            kind=fields.pop("kind", "mou"),
            reference=fields.pop("reference", f"LT-PL/{next(counter)}"),
            title=fields.pop("title", "Border cooperation"),
            expires_on=expires_on,
            **fields,
        )
        if clause is not None:
            agreement_services.clause_save(agreement=agreement, actor=owner_liaison, **clause)
        path = ["negotiation", "signed", "in_force"]
        for step in path[: path.index(status) + 1] if status in path else []:
            extra = {}
            if step == "signed":
                extra["signed_on"] = timezone.localdate() - datetime.timedelta(days=10)
            if step == "in_force":
                agreement_services.document_upload(
                    agreement=agreement,
                    actor=owner_liaison,
                    title="Signed text",
                    upload=SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"),
                )
                extra["effective_from"] = timezone.localdate() - datetime.timedelta(days=5)
            agreement = agreement_services.agreement_transition(
                agreement=agreement, to_status=AgreementStatus(step), actor=owner_liaison, **extra
            )
        return agreement

    return _make


# --- Incidents ------------------------------------------------------------------------------------


@pytest.fixture
def supervisor(owner_agency):
    return UserFactory(username="lt.supervisor", agency=owner_agency, is_officer=False, is_supervisor=True)


@pytest.fixture
def partner_supervisor(partner_agency):
    return UserFactory(username="pl.supervisor", agency=partner_agency, is_officer=False, is_supervisor=True)


@pytest.fixture
def outsider_supervisor(outsider_agency):
    return UserFactory(username="fi.supervisor", agency=outsider_agency, is_officer=False, is_supervisor=True)


@pytest.fixture
def make_incident(officer, supervisor):
    """An LT incident filed by `officer`; `status` up to validated (validated by `supervisor`)."""
    from django.utils import timezone

    from incidents import services as incident_services

    def _make(status="draft", reporter=None, **fields):
        values = {
            "category": "smuggling_goods",
            "occurred_at": timezone.now() - timezone.timedelta(hours=2),
            "description": "Cigarettes hidden in a lorry",
            "border_sector": "Medininkai",
            "marking": "GREEN",
            "severity": "medium",
            **fields,
        }
        incident = incident_services.incident_create(actor=reporter or officer, **values)
        if status in {"submitted", "validated"}:
            incident = incident_services.incident_submit(incident=incident, actor=reporter or officer)
        if status == "validated":
            incident = incident_services.incident_validate(incident=incident, actor=supervisor)
        return incident

    return _make


def lt_to_pl_clause(lithuania, **changes):
    """LT shares smuggling of goods with PL up to AMBER, automatically, without personal data,
    for 30 days; `changes` replace any of these."""
    from portal.models import Country

    return {
        "provider": lithuania,
        "receiver": Country.objects.get(pk="PL"),
        "categories": ["smuggling_goods"],
        "max_marking": "AMBER",
        "retention_days": 30,
        "purpose": "Risk analysis",
        "mode": "automatic",
        "personal_data": False,
        **changes,
    }


@pytest.fixture
def lt_pl_in_force(make_agreement, lithuania):
    """An LT-PL agreement in force with the clause of `lt_to_pl_clause`."""
    return make_agreement("in_force", clause=lt_to_pl_clause(lithuania))


@pytest.fixture
def receiver():
    """A partner's webhook server on 127.0.0.1 (see `portal.testing.Receiver`)."""
    from alerts.services import new_secret

    server = Receiver(new_secret())
    yield server
    server.close()
