"""Walk every URL route of the portal as the personas of four countries, each signed in and by API
key, and check that no answer shows what the sharing rule withholds; generate the permission
tests of every API endpoint that takes an object id, in the manner of NetBox's APIViewTestCases.

Routes are read from the URL resolver, so a new route is walked by itself. Each parameter is
filled with the real id of an object of the right model (`PARAMETERS`, by route prefix); a
parameter nobody mapped fails the walk, naming the route. The walk returns findings rather than
asserting, so that a test can check that it catches a leaky route added on purpose.

The world is built once per module inside a transaction rolled back at the end; each test runs
in its own savepoint (pytest-django), and each walk in one more, so what a walk's POSTs change
is undone before the next walk starts.
"""

import contextlib
import datetime
import html
import itertools
import re
import sys
import types
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from unittest import mock
from urllib.parse import unquote_plus, urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone

from portal import basemap
from portal.api.permissions import PEOPLE_ONLY, required_scope
from portal.testing import make_verified

OWNER, PARTNER, UNCOVERED, OUTSIDER = "LT", "PL", "LV", "FI"
PERSONAS = (OWNER, PARTNER, UNCOVERED, OUTSIDER)
NO_CLAUSE = (UNCOVERED, OUTSIDER)
ANONYMOUS = "anonymous"
KINDS = ("session", "key")

# --- Routes ---------------------------------------------------------------------------------------

# Not walked, and why. Everything else the resolver knows is.
SKIPPED_PREFIXES = {
    "admin/": "staff only; no persona is staff (test_admin_is_closed_to_every_persona checks it)",
    "static/": "files of the portal itself",
    "i18n/": "sets the language of the session, nothing else",
    "account/": "the caller's own sign-in pages; walking them would sign the walker out",
    "healthz": "no shared data; it pings the broker with a three-second timeout",
}

# Which object each URL parameter names, by the route's prefix (the longest prefix wins).
# A route with a parameter missing here fails the walk: map it to a kind of `World.objects`.
# (`comment_pk` and the alert's `identifier` name kinds the world holds for routes to come.)
PARAMETERS = {
    "incidents/": {
        "pk": "incident",
        "attachment_pk": "attachment",
        "handover_pk": "handover",
        "delivery_pk": "delivery",
        "comment_pk": "comment",
        "step": "incident_step",
        "decision": "handover_decision",
    },
    "agreements/": {
        "pk": "agreement",
        "clause_pk": "clause",
        "document_pk": "document",
        "version_pk": "version",
        "dispute_pk": "dispute",
        "target": "agreement_status",
    },
    "agency/users/": {"pk": "user", "action": "user_action"},
    "agency/api-keys/": {"prefix": "api_key"},
    "agency/subscriptions/": {"pk": "subscription", "delivery_pk": "delivery"},
    "training/calendar/": {"token": "calendar_token"},
    "training/patrols/": {"pk": "patrol", "target": "activity_status"},
    "training/exercises/": {
        "pk": "exercise",
        "participant_pk": "participant",
        "action_pk": "corrective_action",
        "target": "activity_status",
    },
    "training/programmes/": {
        "pk": "programme",
        "course_pk": "course",
        "indicator_pk": "indicator",
        "target": "activity_status",
    },
    "training/assets/": {"pk": "asset"},
    "api/v1/incidents/": {"pk": "incident", "comment_pk": "comment"},
    "api/v1/agreements/": {"pk": "agreement", "version_id": "version"},
    "api/v1/patrols/": {"pk": "patrol"},
    "api/v1/exercises/": {"pk": "exercise"},
    "api/v1/programmes/": {"pk": "programme"},
    "api/v1/alerts/": {"pk": "alert", "identifier": "alert_uuid"},
    "borders/": {"pk": "sector"},
    "borders/crossings/": {"pk": "crossing"},
    "api/v1/borders/sectors/": {"pk": "sector"},
    "api/v1/borders/crossings/": {"pk": "crossing"},
    "basemap/": {"layer": "basemap_layer"},
    "exchange/requests/": {"pk": "info_request", "attachment_pk": "answer_attachment"},
    "api/v1/exchange/requests/": {"pk": "info_request", "attachment_pk": "answer_attachment"},
}

# Pages only the incident's owner may open, whoever else sees the incident itself.
OWNER_ONLY = {"incidents/<int:pk>/preview/", "api/v1/incidents/<int:pk>/preview/"}
# Query strings some GETs need to do their work.
QUERIES = {
    "incidents/<int:pk>/preview/": {"country": PARTNER},
    "api/v1/incidents/<int:pk>/preview/": {"country": PARTNER},
    "api/v1/borders/nearest/": {"lat": "54.55", "lon": "25.6"},
}
# Lists are also searched for the secret objects: search results are reads too.
SEARCH = {"q": "ecret"}  # matches every "Secret" title, and is no secret when echoed back

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>")


class UnmappedParameter(AssertionError):
    """A route has a parameter `PARAMETERS` does not map: the walk cannot fill it."""


@dataclass(frozen=True)
class Route:
    path: str  # as the resolver spells it, e.g. "incidents/<int:pk>/"
    params: tuple  # parameter names, in order
    callback: object
    converters: tuple = ()  # the converter of each parameter ("str" when none is named)

    @property
    def is_api(self):
        return self.path.startswith("api/")

    def kinds(self):
        """{parameter: object kind}, or UnmappedParameter naming the route."""
        prefixes = [prefix for prefix in PARAMETERS if self.path.startswith(prefix)]
        mapping = PARAMETERS[max(prefixes, key=len)] if prefixes else {}
        unmapped = [name for name in self.params if name not in mapping]
        if unmapped:
            raise UnmappedParameter(
                f"route {self.path!r}: parameter(s) {', '.join(unmapped)} not mapped to an object kind; "
                "add them to PARAMETERS in tests/test_every_route.py"
            )
        return {name: mapping[name] for name in self.params}


def routes(urlconf=None):
    """Every route of the URL configuration, except the skipped prefixes."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    found = {}
    for route, callback in walk(get_resolver(urlconf).url_patterns, ""):
        if route.startswith(tuple(SKIPPED_PREFIXES)) or route in found:
            continue
        matches = list(PARAMETER.finditer(route))
        params = tuple(m.group("name") or m.group("group") for m in matches)
        converters = tuple(m.group("converter") or "str" for m in matches)
        found[route] = Route(route, params, callback, converters)
    return [found[route] for route in sorted(found)]


# --- The world: what is secret, from whom -------------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """A real object a URL parameter can name, and the personas' countries that may see it."""

    value: str
    label: str
    audience: frozenset | None  # None: a value (a slug), not an object: it restricts nothing
    parents: tuple = ()  # ((kind, value), ...): the objects it belongs to


@dataclass(frozen=True)
class Secret:
    text: str
    label: str
    seen_by: frozenset  # personas that may see it
    shown_to: frozenset = frozenset()  # personas that must find it somewhere (so the walk is not blind)


@dataclass
class Persona:
    user: object
    raw_key: str
    calendar_token: str


@dataclass
class World:
    objects: dict = field(default_factory=dict)  # kind -> [Obj]
    secrets: list = field(default_factory=list)
    personas: dict = field(default_factory=dict)  # country -> Persona
    principals: dict = field(default_factory=dict)  # (country, kind) -> Principal
    notes: dict = field(default_factory=dict)

    def values(self, kind, persona):
        if kind == "calendar_token":
            own = self.personas.get(persona)
            if own is None:  # anonymous: a token nobody was issued
                return [Obj("never-issued-token-0000", "calendar token nobody has", frozenset())]
            return [Obj(own.calendar_token, f"{persona}'s own calendar token", frozenset({persona}))]
        return self.objects[kind]


def _world_build():
    """Five countries. LT owns everything. PL receives incident A (smuggling of goods, AMBER)
    under a clause that withholds personal data; EE receives it too, under an agreement PL is
    not party to. LV has an agreement with LT whose clause covers trafficking up to AMBER: A's
    category is not in it, and B (trafficking) reached LV as AMBER, then was re-marked
    AMBER+STRICT, above the clause, so LV keeps only the tombstones of its alerts. FI has no
    agreement at all."""
    from agreements import services as agreements
    from agreements.models import AgreementStatus
    from alerts import services as alert_services
    from alerts.models import Alert, AlertDelivery
    from incidents import services as incidents
    from incidents.models import Incident
    from incidents.views import STEPS
    from portal import services as portal
    from portal.models import APIScope, Country
    from portal.views.agency import USER_ACTIONS
    from tests.conftest import PDF_BYTES
    from tests.factories import AgencyFactory, TOTPDeviceFactory, UserFactory
    from training.services import courses, exercises, lessons, lifecycle, patrols, programmes
    from training.services.assets import asset_save
    from training.services.calendar import calendar_feed_issue
    from training.views import TRANSITION_ACTIONS

    now = timezone.now()
    today = timezone.localdate()
    country = {code: Country.objects.get(pk=code) for code in ("LT", "PL", "EE", "LV", "FI")}
    agency = {
        code: AgencyFactory(code=f"{code}-BG", name=f"{code} Border Guard", country=country[code]) for code in country
    }

    def person(username, code, **roles):
        return UserFactory(username=username, agency=agency[code], **{"is_officer": False, **roles})

    all_roles = {"is_officer": True, "is_supervisor": True, "is_liaison": True, "is_analyst": True, "is_dpo": True}
    walkers = {code: person(f"{code.lower()}.walker", code, **all_roles, is_agency_admin=True) for code in PERSONAS}
    for user in walkers.values():
        TOTPDeviceFactory(user=user)
    reporter = person("lt.reporter", "LT", is_officer=True)
    validator = person("lt.validator", "LT", is_supervisor=True)
    liaison = {code: person(f"{code.lower()}.liaison", code, is_liaison=True) for code in ("LT", "PL", "EE", "LV")}
    officer = {code: person(f"{code.lower()}.officer", code, is_officer=True) for code in ("PL", "EE")}

    def agreement_in_force(partner, reference, title, clause, document_title):
        agreement = agreements.agreement_create(
            parties=[(agency["LT"], [liaison["LT"]]), (agency[partner], [liaison[partner]])],
            actor=liaison["LT"],
            kind="mou",
            reference=reference,
            title=title,
            expires_on=None,
        )
        saved = agreements.clause_save(
            agreement=agreement,
            actor=liaison["LT"],
            provider=country["LT"],
            receiver=country[partner],
            mode="automatic",
            retention_days=30,
            personal_data=False,
            **clause,
        )
        agreement = agreements.agreement_transition(
            agreement=agreement, to_status=AgreementStatus.NEGOTIATION, actor=liaison["LT"]
        )
        agreement = agreements.agreement_transition(
            agreement=agreement,
            to_status=AgreementStatus.SIGNED,
            actor=liaison["LT"],
            signed_on=today - datetime.timedelta(days=70),
        )
        version = agreements.document_upload(
            agreement=agreement,
            actor=liaison["LT"],
            title=document_title,
            upload=SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"),
        )
        agreement = agreements.agreement_transition(
            agreement=agreement,
            to_status=AgreementStatus.IN_FORCE,
            actor=liaison["LT"],
            effective_from=today - datetime.timedelta(days=60),
        )
        return agreement, saved, version

    lt_pl, lt_pl_clause, lt_pl_version = agreement_in_force(
        "PL",
        "LT-PL/7",
        "Secret LT-PL border cooperation",
        {
            "categories": ["smuggling_goods"],
            "max_marking": "AMBER",
            "purpose": "Secret purpose of LT-PL",
            "hit_no_hit_kinds": ["plate"],
        },
        "Secret signed text of LT-PL",
    )
    lt_ee, lt_ee_clause, lt_ee_version = agreement_in_force(
        "EE",
        "LT-EE/3",
        "Secret LT-EE arrangement",
        {"categories": ["smuggling_goods"], "max_marking": "AMBER", "purpose": "Secret purpose of LT-EE"},
        "Secret signed text of LT-EE",
    )
    lt_lv, _lt_lv_clause, _lt_lv_version = agreement_in_force(
        "LV",
        "LT-LV/5",
        "Latvian trafficking cooperation",
        {"categories": ["trafficking"], "max_marking": "AMBER", "purpose": "Victims of trafficking"},
        "Signed text of LT-LV",
    )
    dispute = agreements.dispute_raise(
        agreement=lt_pl, actor=liaison["LT"], subject="Secret dispute subject", description="Secret grievance"
    )
    # The duty desks are subscribed before anything is shared, so the alerts have deliveries.
    subscription = alert_services.subscription_save(
        agency=agency["PL"], actor=walkers["PL"], name="Secret PL gateway", channel="email", emails=["duty@pl.example"]
    )
    lv_subscription = alert_services.subscription_save(
        agency=agency["LV"], actor=walkers["LV"], name="LV duty desk", channel="email", emails=["duty@lv.example"]
    )

    def incident(**fields):
        filed = incidents.incident_create(
            actor=reporter, occurred_at=timezone.now() - datetime.timedelta(hours=2), severity="high", **fields
        )
        incidents.incident_submit(incident=filed, actor=reporter)
        return incidents.incident_validate(incident=filed, actor=validator)

    shared = incident(
        category="smuggling_goods",
        marking="AMBER",
        description="Secret description: cigarettes under the floor of a lorry",
        border_sector="Medininkai",
        latitude=Decimal("54.5400"),
        longitude=Decimal("25.6500"),
        has_personal_data=True,
        person_name="Secret Person",
        person_birth_date=datetime.date(1971, 7, 13),
        person_nationality="BY",
        person_document_number="XK998877",
        identifiers=[
            {"kind": "plate", "value": "sec 771", "country": "LT"},
            {"kind": "document", "value": "XKID 554433", "country": "BY"},
            {"kind": "phone", "value": "8 612 98765"},
        ],
    )
    strict = incident(
        category="trafficking",
        marking="AMBER",
        description="Secret strict description: a victim hidden in a van",
        border_sector="Lavoriskes",
        latitude=Decimal("54.6000"),
        longitude=Decimal("25.8000"),
    )
    # C was shared with PL and EE 31 days ago, under clauses that keep a share 30 days: it ended
    # by time yesterday, and no task has run since (the gate compares the time of the read).
    with mock.patch("django.utils.timezone.now", return_value=now - datetime.timedelta(days=31)):
        expired = incident(
            category="smuggling_goods",
            marking="GREEN",
            description="Secret expired description: fuel in a hidden tank",
            border_sector="Salcininkai",
            latitude=Decimal("54.3000"),
            longitude=Decimal("25.3800"),
        )
    assert {grant.country_id for grant in expired.grants.all()} == {"PL", "EE"}
    assert not Incident.objects.visible_to(walkers["PL"]).filter(pk=expired.pk).exists()
    alert_lv = Alert.objects.get(incident=strict, country_id="LV")
    lv_delivery = AlertDelivery.objects.get(alert=alert_lv, subscription=lv_subscription)
    # Re-marked above LV's clause: LV loses B in the transaction of the change.
    strict = incidents.incident_update(incident=strict, actor=validator, marking="AMBER+STRICT")
    assert not Incident.objects.visible_to(walkers["LV"]).exists()
    owner_comment = incidents.comment_add(incident=shared, actor=reporter, body="Secret owner comment")
    incidents.comment_add(incident=shared, actor=officer["PL"], body="Secret PL comment")
    ee_comment = incidents.comment_add(incident=shared, actor=officer["EE"], body="Secret EE comment")
    strict_comment = incidents.comment_add(incident=strict, actor=reporter, body="Secret strict comment")

    def attach(target, name, personal_data):
        upload = SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")
        return incidents.attachment_add(incident=target, actor=reporter, upload=upload, personal_data=personal_data)

    passport = attach(shared, "Secret Person passport.pdf", personal_data=True)
    route_map = attach(shared, "Secret route map.pdf", personal_data=False)
    scan = attach(strict, "Secret strict scan.pdf", personal_data=False)
    handover = incidents.handover_request(
        incident=shared, to_agency=agency["PL"], actor=validator, reason="Secret handover reason"
    )
    alert_pl = Alert.objects.get(incident=shared, country_id="PL")
    alert_ee = Alert.objects.get(incident=shared, country_id="EE")
    delivery = AlertDelivery.objects.get(alert=alert_pl, subscription=subscription)
    # Sent two days ago and never acknowledged: the dashboards list them as overdue.
    Alert.objects.update(sent_at=now - datetime.timedelta(days=2))

    # Joint work of LT and PL under the LT-PL agreement.
    start = now + datetime.timedelta(days=1)
    patrol = patrols.patrol_save(
        actor=liaison["LT"],
        title="Secret patrol",
        agreement=lt_pl,
        border_sector="Secret patrol sector",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=8),
        commanding_agency=agency["LT"],
        participants=[(agency["LT"], [reporter], []), (agency["PL"], [officer["PL"]], [])],
    )
    for step in ("under_way", "completed"):
        patrol = lifecycle.activity_transition(activity=patrol, to_status=step, actor=liaison["LT"])
    patrols.patrol_report_save(
        patrol=patrol,
        actor=liaison["LT"],
        summary="Secret patrol report",
        hours=Decimal(8),
        distance_km=Decimal(20),
        incidents=[shared, strict, expired],  # PL's page of the report must list A alone
    )
    exercise = exercises.exercise_save(
        actor=liaison["LT"],
        title="Secret exercise",
        scenario="search_rescue",
        host_agency=agency["LT"],
        agencies=[agency["PL"]],
        starts_at=start + datetime.timedelta(days=2),
        ends_at=start + datetime.timedelta(days=2, hours=6),
        objectives=["Secret objective"],
        description="Secret exercise description",
    )
    participant = exercises.exercise_participant_add(
        exercise=exercise, user=officer["PL"], role="player", actor=liaison["LT"]
    )
    exercises.inject_add(
        exercise=exercise,
        at=exercise.starts_at + datetime.timedelta(hours=1),
        description="Secret inject",
        recipient=participant,
        actor=liaison["LT"],
    )
    for step in ("under_way", "completed"):
        exercise = lifecycle.activity_transition(activity=exercise, to_status=step, actor=liaison["LT"])
    lessons.after_action_save(
        exercise=exercise, actor=liaison["LT"], summary="Secret after-action", lessons_learned="Secret lessons"
    )
    action = lessons.corrective_action_add(
        exercise=exercise,
        actor=liaison["LT"],
        description="Secret corrective action",
        owner_agency=agency["LT"],
        due_on=today + datetime.timedelta(days=30),
    )
    programme = programmes.programme_save(
        actor=liaison["LT"],
        title="Secret programme",
        source_kind="eu_fund",
        funder_name="Secret fund",
        budget=Decimal(1000),
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        agencies=[agency["LT"], agency["PL"]],
    )
    course = courses.course_save(
        programme=programme,
        actor=liaison["LT"],
        title="Secret course",
        place="Secret place",
        trainer_agency=agency["LT"],
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=4),
        trainees=[reporter],
    )
    indicator = programmes.indicator_save(
        programme=programme, actor=liaison["LT"], name="Secret indicator", baseline=Decimal(0), target=Decimal(5)
    )
    programmes.spending_add(
        programme=programme, actor=liaison["LT"], spent_on=today, amount=Decimal(100), description="Secret spending"
    )
    asset = asset_save(actor=liaison["LT"], kind="vessel", identifier="LT-101", name="Kihnu")
    spare_key, _raw = portal.api_key_create(
        agency=agency["LT"],
        name="Secret spare key",
        scopes=[APIScope.ALERTS_READ],
        expires_at=None,
        actor=walkers["LT"],
    )

    # Border sectors: LT's is seen by every country with an agreement in force with LT (PL, EE
    # and LV, whatever their clauses cover); FI's by FI alone. A, typed "Medininkai", is linked
    # to LT's sector of that name when it is created; B is placed in it by hand.
    from borders import services as borders

    lt_sector = borders.sector_save(
        actor=liaison["LT"],
        code="LT-KAPPA-1",
        name="Medininkai",
        description="Kappa sector description",
        geometry={"type": "LineString", "coordinates": [[25.55, 54.50], [25.65, 54.54], [25.75, 54.58]]},
    )
    lt_crossing = borders.crossing_save(
        actor=liaison["LT"],
        code="LT-KAPPA-X",
        name="Kappa crossing",
        kind="road",
        sector=lt_sector,
        latitude=Decimal("54.540000"),
        longitude=Decimal("25.645000"),
    )
    borders.impact_level_set(sector=lt_sector, level="high", reason="Kappa level reason", actor=validator)
    strict = incidents.incident_update(incident=strict, actor=validator, sector=lt_sector)
    fi_sector = borders.sector_save(
        actor=walkers["FI"],
        code="FI-OMEGA-1",
        name="Omega lakeside",
        geometry={"type": "LineString", "coordinates": [[28.20, 61.00], [28.31, 61.01], [28.40, 61.05]]},
    )
    fi_crossing = borders.crossing_save(
        actor=walkers["FI"],
        code="FI-OMEGA-X",
        name="Omega crossing",
        kind="rail",
        sector=fi_sector,
        latitude=Decimal("61.010000"),
        longitude=Decimal("28.310000"),
    )
    assert Incident.objects.get(pk=shared.pk).sector_id == lt_sector.pk

    # Requests for information: LT asks PL (answered in part, with a file, and given more time)
    # and LV; each is seen by the two countries of the request and by no third.
    from exchange import services as exchange

    for code in ("LT", "PL", "LV"):
        exchange.spoc_set(
            actor=walkers[code], agency=agency[code], languages=["en"], email=f"spoc@{code.lower()}.example"
        )
    rfi_pl = exchange.request_send(
        actor=liaison["LT"],
        requested_country=country["PL"],
        subject="Secret RFI subject",
        sought="Secret RFI sought",
        purpose="Secret RFI purpose",
        identifiers=[{"kind": "plate", "value": "sec 771", "country": "LT"}],
        linked_incidents=[shared],
        legal_basis="agreement",
        agreement=lt_pl,
        urgent=True,
        directly_accessible=False,
    )
    exchange.request_extend(
        request=rfi_pl,
        actor=liaison["PL"],
        due_at=rfi_pl.due_at + datetime.timedelta(days=1),
        reason="Secret RFI delay",
    )
    rfi_answer = exchange.request_answer(
        request=rfi_pl,
        actor=liaison["PL"],
        kind="partial",
        text="Secret RFI answer",
        follows="Secret RFI follows",
        follows_by=now + datetime.timedelta(days=2),
        attachments=[(SimpleUploadedFile("Secret RFI file.pdf", PDF_BYTES, content_type="application/pdf"), False)],
    )
    rfi_file = rfi_answer.attachments.get()
    rfi_lv = exchange.request_send(
        actor=liaison["LT"],
        requested_country=country["LV"],
        subject="Kappa RFI to LV",
        sought="Kappa RFI sought",
        purpose="Kappa RFI purpose",
    )

    # A hit/no-hit check by PL of A's plate, under the LT-PL clause: LT's people see the hit on
    # their data (who, why); PL learned A's reference only; LV and FI see nothing of it.
    from exchange.hits import hit_check

    hit_result = hit_check(
        actor=walkers["PL"], kind="plate", value="SEC-771", country="LT", purpose="Secret hit purpose of PL"
    )
    assert [(c.country_id, [r.reference for r in c.hits]) for c in hit_result.checked] == [("LT", [shared.reference])]

    world = World()
    for code, user in walkers.items():
        _key, raw = portal.api_key_create(
            agency=agency[code], name="Walk key", scopes=list(APIScope.values), expires_at=None, actor=user
        )
        world.personas[code] = Persona(user, raw, calendar_feed_issue(user=user))

    lt, lt_and_pl = frozenset({OWNER}), frozenset({OWNER, PARTNER})
    everyone = None

    def obj(thing, label, audience, *parents, value=None):
        return Obj(str(thing.pk if value is None else value), label, audience, tuple(parents))

    def of(kind, thing):
        return (kind, str(thing.pk))

    world.objects = {
        "info_request": [
            obj(rfi_pl, "the LT-PL request for information", lt_and_pl),
            obj(rfi_lv, "the LT-LV request for information", frozenset({OWNER, UNCOVERED})),
        ],
        "answer_attachment": [
            obj(rfi_file, "the file of PL's answer to LT", lt_and_pl, of("info_request", rfi_pl)),
        ],
        "incident": [
            obj(shared, "incident A (LT, shared with PL)", lt_and_pl),
            obj(strict, "incident B (LT only)", lt),
            obj(expired, "incident C (LT; PL's and EE's shares ended yesterday)", lt),
        ],
        "comment": [
            obj(owner_comment, "LT's comment on A", lt_and_pl, of("incident", shared)),
            obj(ee_comment, "EE's comment on A", lt, of("incident", shared)),
            obj(strict_comment, "LT's comment on B", lt, of("incident", strict)),
        ],
        "attachment": [
            obj(passport, "A's personal attachment", lt, of("incident", shared)),
            obj(route_map, "A's attachment without personal data", lt_and_pl, of("incident", shared)),
            obj(scan, "B's attachment", lt, of("incident", strict)),
        ],
        "handover": [obj(handover, "A's handover to PL", lt_and_pl, of("incident", shared))],
        "delivery": [
            obj(
                delivery,
                "the delivery of A's alert to PL",
                lt_and_pl,
                of("incident", shared),
                of("subscription", subscription),
            ),
            obj(
                lv_delivery,
                "the delivery of B's alert to LV",
                frozenset({OWNER, UNCOVERED}),
                of("incident", strict),
                of("subscription", lv_subscription),
            ),
        ],
        "alert": [
            obj(alert_pl, "A's alert to PL", frozenset({PARTNER})),
            obj(alert_ee, "A's alert to EE", frozenset()),
            obj(alert_lv, "B's alert to LV (a tombstone now)", frozenset({UNCOVERED})),
        ],
        "alert_uuid": [
            obj(alert_pl, "A's alert to PL", frozenset({PARTNER}), value=alert_pl.identifier),
            obj(alert_ee, "A's alert to EE", frozenset(), value=alert_ee.identifier),
            obj(alert_lv, "B's alert to LV (a tombstone now)", frozenset({UNCOVERED}), value=alert_lv.identifier),
        ],
        "subscription": [
            obj(subscription, "PL's subscription", frozenset({PARTNER})),
            obj(lv_subscription, "LV's subscription", frozenset({UNCOVERED})),
        ],
        "user": [obj(reporter, "an LT officer", lt)],
        "api_key": [obj(spare_key, "an LT API key", lt, value=spare_key.prefix)],
        "agreement": [obj(lt_pl, "the LT-PL agreement", lt_and_pl), obj(lt_ee, "the LT-EE agreement", lt)],
        "clause": [
            obj(lt_pl_clause, "the LT-PL clause", lt_and_pl, of("agreement", lt_pl)),
            obj(lt_ee_clause, "the LT-EE clause", lt, of("agreement", lt_ee)),
        ],
        "document": [
            obj(lt_pl_version.document, "the LT-PL document", lt_and_pl, of("agreement", lt_pl)),
            obj(lt_ee_version.document, "the LT-EE document", lt, of("agreement", lt_ee)),
        ],
        "version": [
            obj(lt_pl_version, "the LT-PL document version", lt_and_pl, of("agreement", lt_pl)),
            obj(lt_ee_version, "the LT-EE document version", lt, of("agreement", lt_ee)),
        ],
        "dispute": [obj(dispute, "the LT-PL dispute", lt_and_pl, of("agreement", lt_pl))],
        "patrol": [obj(patrol, "the LT-PL patrol", lt_and_pl)],
        "exercise": [obj(exercise, "the LT-PL exercise", lt_and_pl)],
        "participant": [obj(participant, "a participant of the exercise", lt_and_pl, of("exercise", exercise))],
        "corrective_action": [obj(action, "a corrective action of the exercise", lt_and_pl, of("exercise", exercise))],
        "programme": [obj(programme, "the LT-PL programme", lt_and_pl)],
        "course": [obj(course, "a course of the programme", lt_and_pl, of("programme", programme))],
        "indicator": [obj(indicator, "an indicator of the programme", lt_and_pl, of("programme", programme))],
        # Planners of partner countries may pick it for joint work, but only LT changes it.
        "asset": [obj(asset, "an LT asset", lt)],
        "sector": [
            obj(lt_sector, "LT's border sector", frozenset({OWNER, PARTNER, UNCOVERED})),
            obj(fi_sector, "FI's border sector", frozenset({OUTSIDER})),
        ],
        "crossing": [
            obj(lt_crossing, "LT's crossing point", frozenset({OWNER, PARTNER, UNCOVERED})),
            obj(fi_crossing, "FI's crossing point", frozenset({OUTSIDER})),
        ],
    }

    def slugs(values, label):
        return [Obj(value, f"{label} {value!r}", everyone) for value in values]

    world.objects |= {
        "incident_step": slugs(STEPS, "step"),
        "handover_decision": slugs(["accept", "decline"], "decision"),
        "agreement_status": slugs(AgreementStatus.values, "status"),
        # The steps a person can take (the pages offer no other; "planned" is where things start).
        "activity_status": slugs([str(status) for status in TRANSITION_ACTIONS], "status"),
        "user_action": slugs(USER_ACTIONS, "action"),
        "basemap_layer": slugs(basemap.LAYERS, "base map layer"),
    }

    def secret(text, label, seen_by, shown_to=None):
        seen = frozenset(seen_by)
        return Secret(str(text), label, seen, seen if shown_to is None else frozenset(shown_to))

    both, owner = (OWNER, PARTNER), (OWNER,)
    world.secrets = [
        # Anything marked "Secret" belongs to LT's and PL's joint world: LV and FI see none of it.
        secret("Secret", 'a string marked "Secret"', both, ()),
        secret(shared.reference, "incident A's reference", both),
        secret("Secret description", "incident A's description", both),
        secret("Secret Person", "personal data of A (name)", owner),
        secret("XK998877", "personal data of A (document number)", owner),
        secret("1971-07-13", "personal data of A (date of birth)", owner),
        secret("SEC771", "A's vehicle plate (an identifier)", both),
        secret("XKID554433", "A's document number (a personal identifier)", owner),
        secret("+37061298765", "A's phone number (a personal identifier)", owner),
        secret("Secret_Person_passport", "A's attachment with personal data", owner),
        secret("Secret_route_map", "A's attachment without personal data", both),
        secret("Secret owner comment", "LT's comment on A", both),
        secret("Secret PL comment", "PL's comment on A", both),
        secret("Secret EE comment", "EE's comment on A (another partner's)", owner),
        secret("Secret handover reason", "A's handover to PL", both),
        secret(alert_pl.identifier, "the identifier of A's alert to PL", both, (PARTNER,)),
        secret(alert_pl.identifier.hex, "the identifier of A's alert to PL", both, ()),
        secret(alert_ee.identifier, "the identifier of A's alert to EE", owner, ()),
        secret(alert_ee.identifier.hex, "the identifier of A's alert to EE", owner, ()),
        secret("Secret PL gateway", "PL's subscription (the sender sees its deliveries, not PL's set-up)", (PARTNER,)),
        # LV once received B: its alerts, now tombstones, still name B's reference (and nothing else).
        secret(strict.reference, "incident B's reference", (OWNER, UNCOVERED)),
        secret(alert_lv.identifier, "the identifier of B's alert to LV", (OWNER, UNCOVERED), (UNCOVERED,)),
        secret("Secret strict", "incident B", owner),
        # PL's and EE's alerts of C are tombstones now: they name its reference, nothing more.
        secret(expired.reference, "incident C's reference", both),
        secret("Secret expired", "incident C", owner),
        secret("Secret_strict_scan", "B's attachment", owner),
        secret(lt_pl.reference, "the LT-PL agreement's reference", both),
        secret("Secret LT-PL border cooperation", "the LT-PL agreement's title", both),
        secret("Secret purpose of LT-PL", "the LT-PL clause", both),
        secret("Secret signed text of LT-PL", "the LT-PL document", both),
        secret("Secret dispute subject", "the LT-PL dispute", both),
        secret(lt_ee.reference, "the LT-EE agreement's reference (another partner's)", owner),
        secret("Secret LT-EE arrangement", "the LT-EE agreement's title (another partner's)", owner),
        secret("Secret purpose of LT-EE", "the LT-EE clause (another partner's)", owner),
        secret(lt_lv.reference, "the LT-LV agreement's reference", (OWNER, UNCOVERED)),
        secret("Latvian trafficking cooperation", "the LT-LV agreement's title", (OWNER, UNCOVERED)),
        secret("Secret patrol", "the LT-PL patrol", both),
        secret("Secret patrol report", "the LT-PL patrol's report", both),
        secret("Secret exercise", "the LT-PL exercise", both),
        secret("Secret inject", "the exercise's inject", both),
        secret("Secret corrective action", "the exercise's corrective action", both),
        secret("Secret programme", "the LT-PL programme", both),
        secret("Secret course", "the programme's course", both),
        secret("Secret indicator", "the programme's indicator", both),
        secret("Secret spare key", "an LT API key", owner),
        # Sectors are seen by the owner and by every country with an agreement in force with it.
        secret("LT-KAPPA-1", "LT's border sector (code)", (OWNER, PARTNER, UNCOVERED)),
        secret("Kappa sector description", "LT's border sector", (OWNER, PARTNER, UNCOVERED)),
        secret("Kappa crossing", "LT's crossing point", (OWNER, PARTNER, UNCOVERED)),
        secret("Kappa level reason", "the history of LT's sector's level", (OWNER, PARTNER, UNCOVERED)),
        secret(rfi_pl.reference, "the LT-PL request's reference", both),
        secret("Secret RFI subject", "the LT-PL request", both),
        secret("Secret RFI answer", "PL's answer to LT's request", both),
        secret("Secret RFI delay", "PL's extension of LT's request", both),
        secret("Secret_RFI_file", "the file of PL's answer", both),
        secret(rfi_lv.reference, "the LT-LV request's reference", (OWNER, UNCOVERED)),
        secret("Kappa RFI to LV", "the LT-LV request", (OWNER, UNCOVERED)),
        secret("Secret hit purpose of PL", "PL's hit/no-hit check on LT's data (its purpose)", both, owner),
        secret("FI-OMEGA-1", "FI's border sector (code)", (OUTSIDER,)),
        secret("Omega lakeside", "FI's border sector (name)", (OUTSIDER,)),
        secret("Omega crossing", "FI's crossing point", (OUTSIDER,)),
    ]
    world.notes = {"shared": shared}
    return world


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The world, built once for the module in a transaction that is rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = _world_build()
            for persona in PERSONAS:
                for kind in KINDS:
                    world.principals[persona, kind] = _sign_in(world, persona, kind)
            world.principals[ANONYMOUS, "none"] = Principal(ANONYMOUS, "none", Client(raise_request_exception=False))
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield world
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def world(_module_world, db):
    return _module_world


# --- Principals ---------------------------------------------------------------------------------------


@dataclass
class Principal:
    persona: str
    kind: str  # session, key or none
    client: Client

    def __str__(self):
        return f"{self.persona} {self.kind}"


def sign_in(world, persona, kind):
    """The persona's client (signed in once for the module: its session lives in the module's
    transaction, which no test's rollback undoes)."""
    return world.principals[persona, "none" if persona == ANONYMOUS else kind]


def _sign_in(world, persona, kind):
    """A verified session of the persona's walker, or its agency's API key with every scope;
    checked to be who it says before anything relies on it."""
    own = world.personas[persona]
    if kind == "session":
        client = make_verified(Client(raise_request_exception=False), own.user)
        assert client.get("/").status_code == 200, f"{persona}'s session does not reach the dashboard"
    else:
        client = Client(headers={"authorization": f"Api-Key {own.raw_key}"}, raise_request_exception=False)
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["country"] == persona, (persona, kind, me.content[:300])
    return Principal(persona, kind, client)


# --- The walk -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filling:
    """One concrete path of a route: the objects its parameters name."""

    path: str
    objects: tuple  # ((parameter, Obj), ...)
    audience: frozenset | None  # who may see all of it; None when it names no object

    def foreign_to(self, persona):
        return self.audience is not None and persona not in self.audience

    def describe(self):
        return ", ".join(obj.label for _name, obj in self.objects if obj.audience is not None)


def _filled(route_path, values):
    return "/" + PARAMETER.sub(lambda m: values[m.group("name") or m.group("group")], route_path)


def fillings(route, world, persona):
    """Every combination of real objects for the route's parameters. A child named under another
    parent (B's attachment under A) is a combination nobody may open."""
    kinds = route.kinds()
    if not kinds:
        return [Filling("/" + route.path, (), None)]
    choices = [[(name, obj) for obj in world.values(kind, persona)] for name, kind in kinds.items()]
    result = []
    for combination in itertools.product(*choices):
        named = {kinds[name]: obj.value for name, obj in combination}
        path_ = _filled(route.path, {name: obj.value for name, obj in combination})
        audiences = [obj.audience for _name, obj in combination if obj.audience is not None]
        audience = frozenset.intersection(*audiences) if audiences else None
        mismatched = any(
            kind in named and named[kind] != value for _name, obj in combination for kind, value in obj.parents
        )
        if audience is not None and mismatched:
            audience = frozenset()
        if audience is not None and route.path in OWNER_ONLY:
            audience &= {OWNER}
        result.append(Filling(path_, tuple(combination), audience))
    return result


@dataclass(frozen=True)
class Finding:
    principal: str
    method: str
    path: str
    route: str
    problem: str

    def __str__(self):
        return f"{self.principal}: {self.method} {self.path}  [{self.route}]  {self.problem}"


@dataclass(frozen=True)
class Answer:
    principal: str
    method: str
    route: str
    path: str
    status: int
    text: str


KNOWN_STATUSES = {200, 201, 204, 302, 400, 401, 403, 404, 405, 409, 415}
REFUSED = {403, 404, 405}


def send(client, method, route, path_, query=None):
    if method == "GET":
        return client.get(path_, query or {})
    if route.is_api:
        return client.generic(method, path_, b"{}", content_type="application/json")
    if method == "POST":
        return client.post(path_, {})
    return client.generic(method, path_)


def text_of(response):
    """Headers and body, and the body as it reads once HTML and URL escapes are undone."""
    # The test client closes a streamed file once it is read to the end.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = "\n".join(f"{k}: {v}" for k, v in response.items()) + "\n\n" + body.decode("utf-8", errors="replace")
    return "\n".join((text, html.unescape(text), unquote_plus(text)))


def judge(principal, route, filling, method, response, text, world):
    """What is wrong with one answer, as a list of problems (empty when all is well)."""
    problems = []
    status = response.status_code
    if status >= 500:
        problems.append(f"server error {status}")
    elif status not in KNOWN_STATUSES:
        problems.append(f"unexpected status {status}")
    for secret in world.secrets:
        if principal.persona not in secret.seen_by and secret.text in text:
            problems.append(f"shows {secret.label} ({secret.text!r})")
    if filling.foreign_to(principal.persona) and not _refused(principal, route, response):
        problems.append(f"answers {status} about {filling.describe()}, which it may not see (expected 403/404/405)")
    if (
        principal.persona == OWNER
        and method == "GET"
        and (principal.kind == "session" or route.is_api)
        and filling.audience is not None
        and OWNER in filling.audience
        and status in {403, 404}
        and _serves_get(route)
    ):
        problems.append(f"refuses the owner ({status}) its own {filling.describe()}: is the route filled right?")
    return problems


def _serves_get(route):
    """Whether the route reads at all; a write-only API view answers a key's GET with 403."""
    view = getattr(route.callback, "cls", None)
    return view is None or hasattr(view, "get")


def _refused(principal, route, response):
    status = response.status_code
    if status in REFUSED:
        return True
    if principal.kind != "session" and not route.is_api:
        # Keys are no credential on pages: the caller is anonymous there, sent to sign in.
        return status == 302 and response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    return principal.kind == "none" and status == 401


@contextlib.contextmanager
def undone(method):
    """Each write is judged on its own and rolled back before the next request: a write that
    rightly widens what the persona sees (accepting a handover makes its country the handler,
    with full access) must not make every later answer look like a leak."""
    if method == "GET":
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def walk(principal, world, *, methods=("GET", "POST"), answers=None, urlconf=None):
    """Send every route, filled with every combination of real ids, with each method (PATCH,
    PUT and DELETE only to the API), and return what is wrong. Every GET comes before any write.

    `answers`, when given, collects every answer (for the tests that check what must be seen)."""
    planned = [(route, fillings(route, world, principal.persona)) for route in routes(urlconf)]  # fails early
    findings = []
    for method in methods:
        for route, route_fillings in planned:
            if method in {"PATCH", "PUT", "DELETE"} and not route.is_api:
                continue
            queries = [QUERIES.get(route.path)]
            if method == "GET" and not route.params:
                queries.append(SEARCH)
            for filling, query in itertools.product(route_fillings, queries):
                shown = filling.path + (f"?{urlencode(query)}" if query else "")
                try:
                    matched = resolve(filling.path, urlconf).route
                except Resolver404:
                    matched = None
                if matched != route.path:
                    findings.append(
                        Finding(str(principal), method, shown, route.path, f"the filled path resolves to {matched!r}")
                    )
                    continue
                with undone(method):
                    response = send(principal.client, method, route, filling.path, query)
                    text = text_of(response)
                    problems = judge(principal, route, filling, method, response, text, world)
                    if filling.foreign_to(principal.persona) and response.status_code == 403:
                        # Refused for the role, not as missing: a missing object must be refused alike.
                        twin_path = missing_twin(route, filling, principal.persona)
                        twin = send(principal.client, method, route, twin_path, query)
                        if twin.status_code != response.status_code:
                            problems.append(
                                f"answers {response.status_code}, but {twin.status_code} for {twin_path}, which "
                                "does not exist: the id can be probed"
                            )
                for problem in problems:
                    findings.append(Finding(str(principal), method, shown, route.path, problem))
                if answers is not None:
                    answers.append(Answer(str(principal), method, route.path, shown, response.status_code, text))
    return findings


def walk_undone(principal, world, **options):
    """The walk, with whatever its writes changed rolled back before the next one."""
    with transaction.atomic():
        findings = walk(principal, world, **options)
        transaction.set_rollback(True)
    return findings


def report(findings, answers=(), world=None, persona=None, limit=80):
    lines = sorted({str(f) for f in findings})
    if world is not None:
        lines += [f"{persona} never finds {missing} on any route" for missing in missing_from(answers, world, persona)]
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    return f"{len(lines)} finding(s):\n" + "\n".join(lines[:limit]) + more


def missing_from(answers, world, persona):
    """Secrets the persona must find somewhere and found nowhere: the walk would be blind."""
    seen = "\n".join(answer.text for answer in answers)
    return [f"{s.label} ({s.text!r})" for s in world.secrets if persona in s.shown_to and s.text not in seen]


# --- The walks ----------------------------------------------------------------------------------------


def test_routes_are_read_from_the_resolver_and_every_parameter_is_mapped():
    found = {route.path: route for route in routes()}
    assert {"incidents/<int:pk>/", "api/v1/agreements/<int:pk>/", "training/calendar/<str:token>.ics"} <= set(found)
    for route in found.values():
        route.kinds()  # UnmappedParameter names the route


@pytest.mark.parametrize("persona", NO_CLAUSE, ids=["LV-clause-not-covering", "FI-no-agreement"])
def test_country_without_a_clause_sees_nothing_of_it_on_any_route(world, persona):
    """Every route, GET and POST, signed in and by key: nothing marked "Secret", no reference of
    A or C (LV sees B's only in the tombstones of the alerts it once had), and 403/404/405
    wherever a foreign object is named (never 200, never 500)."""
    findings, answers = [], []
    for kind in KINDS:
        findings += walk_undone(sign_in(world, persona, kind), world, answers=answers)
    assert not findings and not missing_from(answers, world, persona), report(findings, answers, world, persona)
    if persona == UNCOVERED:  # signed in for real: its own agreement with LT is there
        assert any("LT-LV/5" in a.text for a in answers if a.route == "agreements/")


def test_partner_with_a_clause_never_sees_personal_data_or_another_partners_share(world):
    """PL sees incident A without personal data, and nothing of EE's share (EE's comment,
    alert, agreement), of incident B, or of incident C once its share ended, on any route."""
    findings, answers = [], []
    for kind in KINDS:
        findings += walk_undone(sign_in(world, PARTNER, kind), world, answers=answers)
    assert not findings and not missing_from(answers, world, PARTNER), report(findings, answers, world, PARTNER)
    shared = world.notes["shared"]
    detail = next(a.text for a in answers if a.path == f"/incidents/{shared.pk}/" and a.principal == "PL session")
    for text in ("Secret description", "Secret owner comment", "Secret PL comment", "Secret_route_map"):
        assert text in detail, text


def test_owner_sees_all_of_it(world):
    """LT finds every secret somewhere, is refused none of its own objects (so every route is
    filled with ids that work), and gets no 500 anywhere."""
    findings, answers = [], []
    for kind in KINDS:
        findings += walk_undone(sign_in(world, OWNER, kind), world, answers=answers)
    assert not findings and not missing_from(answers, world, OWNER), report(findings, answers, world, OWNER)
    shared = world.notes["shared"]
    detail = next(a.text for a in answers if a.path == f"/incidents/{shared.pk}/" and a.principal == "LT session")
    for text in ("Secret Person", "Secret owner comment", "Secret PL comment", "Secret EE comment"):
        assert text in detail, text


def test_anonymous_caller_gets_nothing_anywhere(world):
    """No credentials: sent to sign in, 401 or 404 everywhere, and nothing shown."""
    findings = walk_undone(sign_in(world, ANONYMOUS, "none"), world, methods=("GET", "POST"))
    assert not findings, report(findings)


def test_admin_is_closed_to_every_persona(world):
    for persona in PERSONAS:
        response = sign_in(world, persona, "session").client.get("/admin/")
        assert response.status_code == 302 and "/login/" in response["Location"], persona


# --- The walk cannot be fooled ------------------------------------------------------------------------

LEAK = "incidents/<int:pk>/leak/"


def _leaky_view(request, pk):
    from incidents.models import Incident

    incident = Incident.objects.get(pk=pk)  # no gate: the bug the walk must catch
    return HttpResponse(f"{incident.reference}: {incident.description}")


def _personal_view(request, pk):
    from incidents.models import Incident

    incident = get_object_or_404(Incident.objects.visible_to(request.user), pk=pk)  # gated, but not redacted
    return HttpResponse(incident.person_name)


def _urlconf(name, *extra):
    """A URL configuration made on the fly: the portal's own, behind the extra routes."""
    import portal.urls

    module = types.ModuleType(name)
    module.urlpatterns = [*extra, *portal.urls.urlpatterns]
    for handler in ("handler400", "handler403", "handler404", "handler500"):
        setattr(module, handler, getattr(portal.urls, handler))
    sys.modules[name] = module
    return name


@pytest.fixture
def extra_routes():
    made = []

    def _add(*patterns):
        name = _urlconf(f"tests._walk_urls_{len(made)}", *patterns)
        made.append(name)
        return override_settings(ROOT_URLCONF=name)

    yield _add
    for name in made:
        sys.modules.pop(name, None)


def test_walk_catches_a_route_that_skips_the_gate(world, extra_routes):
    """The same walk, over the portal's routes and one more that reads an incident without the
    gate, reports that route, and only it among the routes the portal does not have (what it
    reports on the portal's own routes is the other tests' business)."""
    principal = sign_in(world, OUTSIDER, "session")
    portal_routes = {route.path for route in routes()}
    with extra_routes(path(LEAK, _leaky_view)):
        findings = walk_undone(principal, world, methods=("GET",))
    assert {f.route for f in findings} - portal_routes == {LEAK}
    problems = " ".join(f.problem for f in findings if f.route == LEAK)
    assert "incident A's reference" in problems and "incident A's description" in problems
    assert "incident B's reference" in problems and "answers 200" in problems


def test_walk_catches_personal_data_shown_to_the_partner(world, extra_routes):
    principal = sign_in(world, PARTNER, "session")
    with extra_routes(path(LEAK, _personal_view)):
        findings = [f for f in walk_undone(principal, world, methods=("GET",)) if f.route == LEAK]
    assert findings and all("personal data of A (name)" in f.problem for f in findings), report(findings)


@pytest.mark.parametrize(
    "route", ["incidents/<int:pk>/widgets/<int:widget_pk>/", "reports/<int:pk>/"], ids=["new-name", "new-prefix"]
)
def test_walk_fails_on_a_parameter_nobody_mapped(world, extra_routes, route):
    with extra_routes(path(route, _leaky_view)), pytest.raises(UnmappedParameter, match=re.escape(route)):
        walk(sign_in(world, OUTSIDER, "session"), world, methods=("GET",))


# --- Generated permission tests of the API ----------------------------------------------------------

API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A write by someone who may see the object: done, refused for its role, or invalid (the body is
# empty) - never a 404 that would deny what the caller can read, never a 500.
WRITE_ANSWERS = {200, 201, 204, 400, 403}


def view_class(route):
    cls = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
    assert cls is not None, f"{route.path}: the API serves only class-based views"
    return cls


def expected_answers(route, method, persona, kind, audience):
    """The rule every API endpoint follows, as NetBox's APIViewTestCases state it per model:

    - a key needs the scope its view declares for the method; undeclared methods and writes kept
      for people (PEOPLE_ONLY) answer 403 to every key, whatever the object (fail closed);
    - a method the view does not serve answers 405;
    - an object the caller's country may not see answers 404, like a missing one;
    - reads of what it may see answer 200; writes are done, refused (403) or invalid (400)."""
    view = view_class(route)
    if kind == "key":
        needed = required_scope(view, method)
        if needed is None or needed == PEOPLE_ONLY:
            return {403}
    if not hasattr(view, method.lower()):
        return {405}
    if persona not in audience:
        return {404}
    return {200} if method == "GET" else WRITE_ANSWERS


API_ROUTES = {route.path: route for route in routes() if route.is_api and route.params}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route_path", API_ROUTES)
def test_api_endpoint_answers_by_the_rule(world, route_path, persona, kind):
    route = API_ROUTES[route_path]
    principal = sign_in(world, persona, kind)
    failures = []
    for method in API_METHODS:
        for filling in fillings(route, world, persona):
            expected = expected_answers(route, method, persona, kind, filling.audience)
            response = send(principal.client, method, route, filling.path, QUERIES.get(route.path))
            text = text_of(response)
            if response.status_code not in expected:
                failures.append(
                    f"{method} {filling.path} ({filling.describe()}): {response.status_code}, "
                    f"expected {sorted(expected)}: {text[-300:]!r}"
                )
            failures += [
                f"{method} {filling.path}: {problem}"
                for problem in judge(principal, route, filling, method, response, text, world)
            ]
            if filling.foreign_to(persona):
                # Missing and forbidden look alike: the same answer for an id that exists nowhere.
                twin_path = missing_twin(route, filling, persona)
                twin = send(principal.client, method, route, twin_path, QUERIES.get(route.path))
                if (twin.status_code, twin.content) != (response.status_code, response.content):
                    failures.append(
                        f"{method} {filling.path} ({filling.describe()}) answers {response.status_code} "
                        f"{response.content[:200]!r}, but {twin_path} (missing) answers {twin.status_code} "
                        f"{twin.content[:200]!r}: the id can be probed"
                    )
    assert not failures, "\n".join(failures)


MISSING = {"int": "987654321", "str": "nosuchthing", "slug": "no-such-thing", "uuid": str(uuid.UUID(int=1))}


def missing_twin(route, filling, persona):
    """The filling's path with every object the persona may not see replaced by one that does
    not exist (the child, when it is a child named under the wrong parent)."""
    values = {name: obj.value for name, obj in filling.objects}
    converters = dict(zip(route.params, route.converters, strict=True))
    foreign = [name for name, obj in filling.objects if obj.audience is not None and persona not in obj.audience]
    if not foreign:
        foreign = [name for name, obj in filling.objects if obj.audience is not None][-1:]
    for name in foreign:
        values[name] = MISSING[converters[name]]
    return _filled(route.path, values)


def test_every_api_route_with_an_id_is_generated():
    assert "api/v1/incidents/<int:pk>/" in API_ROUTES and "api/v1/alerts/<int:pk>/ack/" in API_ROUTES
    assert len(API_ROUTES) >= 15, API_ROUTES
