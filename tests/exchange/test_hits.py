"""Hit/no-hit checks (Prüm II): a clause decides, at the moment of the search, which countries are
checked for which kind; a hit reveals only the holder country and its reference; every check is
recorded with its purpose (never the value), the holder is told, and each searcher has an hourly
limit. The personas: LT holds the incidents, PL checks under an LT-PL clause, FI has none."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

from agreements import services as agreement_services
from agreements.models import AgreementStatus
from exchange import hits
from exchange.models import Hit, HitCheck, InformationRequest, SinglePointOfContact
from incidents import identifiers
from incidents.models import IdentifierDigest
from portal.models import APIScope, AuditQueueEntry, Country, Notification
from portal.testing import make_verified
from tests.conftest import lt_to_pl_clause
from tests.factories import AgencyFactory, UserFactory
from tests.openapi import assert_documented

PLATE = {"kind": "plate", "value": "abc-123", "country": "LT"}
PLATE_CANONICAL = "ABC123"
VIN = "WBA3B5C50DF123456"
PURPOSE = "Stolen car seen near the border crossing"
DESCRIPTION = "Cigarettes hidden in a lorry"
SECTOR = "Medininkai"
URL, API = "/exchange/hits/", "/api/v1/exchange/hits/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    # The hourly counters live in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def holder(make_incident):
    """LT's validated incident with a plate and a VIN (shared with PL where a clause says so)."""
    return make_incident(
        "validated",
        identifiers=[PLATE, {"kind": "vin", "value": VIN}],
    )


@pytest.fixture
def plate_clause(make_agreement, lithuania):
    """LT-PL in force: PL may check LT's incidents for plates (not VINs)."""
    return make_agreement("in_force", clause=lt_to_pl_clause(lithuania, hit_no_hit_kinds=["plate"]))


def check(actor, **fields):
    return hits.hit_check(actor=actor, **{**PLATE, "purpose": PURPOSE, **fields})


def checked(result):
    return {country.country_id: [ref.reference for ref in country.hits] for country in result.checked}


def key_headers(api_key, agency, scopes=(APIScope.EXCHANGE_SEARCH,)):
    _obj, raw = api_key(scopes=list(scopes), agency=agency)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def post_api(client, headers, **fields):
    body = {**PLATE, "purpose": PURPOSE, **fields}
    return client.post(API, json.dumps(body), content_type="application/json", **headers)


# --- Which countries are checked ------------------------------------------------------------------


def test_partner_with_a_clause_for_plates_gets_the_holders_reference(plate_clause, holder, partner_officer):
    result = check(partner_officer)
    assert checked(result) == {"LT": [holder.reference]}
    assert "LT" not in {code for code, _name in result.not_checked}


def test_partner_with_a_clause_for_plates_is_not_checked_for_vins(plate_clause, holder, partner_officer):
    result = check(partner_officer, kind="vin", value=VIN, country=None)
    assert checked(result) == {}
    assert "LT" in {code for code, _name in result.not_checked}
    assert not Hit.objects.exists()


def test_country_without_a_clause_is_not_checked(plate_clause, holder, outsider_officer):
    result = check(outsider_officer)
    assert checked(result) == {} and "LT" in {code for code, _name in result.not_checked}
    assert HitCheck.objects.get().checked_countries == []


def test_own_country_is_never_checked(plate_clause, holder, officer):
    result = check(officer)
    assert checked(result) == {}
    assert "LT" not in {code for code, _name in result.not_checked}


def test_a_suspended_agreement_allows_no_check_from_that_moment(plate_clause, holder, partner_officer, owner_liaison):
    assert checked(check(partner_officer)) == {"LT": [holder.reference]}
    agreement_services.agreement_transition(
        agreement=plate_clause, to_status=AgreementStatus.SUSPENDED, actor=owner_liaison, reason="Review"
    )
    assert checked(check(partner_officer)) == {}


def test_an_expired_agreement_allows_no_check_once_the_clock_passes_its_end(
    make_agreement, lithuania, holder, partner_officer, clock
):
    from django.utils import timezone

    make_agreement(
        "in_force",
        clause=lt_to_pl_clause(lithuania, hit_no_hit_kinds=["plate"]),
        expires_on=timezone.localdate() + datetime.timedelta(days=1),
    )
    assert checked(check(partner_officer)) == {"LT": [holder.reference]}
    clock.advance(days=1)
    assert checked(check(partner_officer)) == {"LT": [holder.reference]}  # its last day
    clock.advance(days=1)
    assert checked(check(partner_officer)) == {}


# --- What is a hit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "fields"),
    [("draft", {}), ("submitted", {}), ("validated", {"marking": "RED"})],
    ids=["draft", "awaiting-validation", "tlp-red"],
)
def test_an_incident_that_is_no_record_to_share_is_no_hit(plate_clause, make_incident, partner_officer, status, fields):
    make_incident(status, identifiers=[PLATE], **fields)
    assert checked(check(partner_officer)) == {"LT": []}


def test_an_incident_of_a_country_that_is_not_checked_is_no_hit(plate_clause, holder, partner_officer):
    """EE holds the same plate, and PL has no clause with EE: EE's incident stays unknown."""
    from incidents import services as incident_services

    estonia = AgencyFactory(code="EE-PPA", name="Estonian Border Guard", country=Country.objects.get(pk="EE"))
    reporter = UserFactory(username="ee.officer", agency=estonia)
    validator = UserFactory(username="ee.supervisor", agency=estonia, is_officer=False, is_supervisor=True)
    filed = incident_services.incident_create(
        actor=reporter,
        category="smuggling_goods",
        occurred_at=holder.occurred_at,
        marking="GREEN",
        description="Estonian record",
        border_sector="Narva",
        identifiers=[PLATE],
    )
    incident_services.incident_submit(incident=filed, actor=reporter)
    incident_services.incident_validate(incident=filed, actor=validator)
    assert IdentifierDigest.objects.filter(incident=filed).exists()
    result = check(partner_officer)
    assert checked(result) == {"LT": [holder.reference]} and "EE" in {c for c, _n in result.not_checked}
    assert filed.reference not in json.dumps(checked(result))
    assert list(Hit.objects.values_list("holder_country_id", flat=True)) == ["LT"]


def test_the_same_characters_as_a_plate_of_another_country_are_no_hit(plate_clause, holder, partner_officer):
    assert checked(check(partner_officer, country="PL")) == {"LT": []}


# --- No content on any path -------------------------------------------------------------------------


def forbidden_texts(incident):
    return [DESCRIPTION, incident.get_category_display(), SECTOR, VIN, PLATE_CANONICAL, "abc-123"]


def test_the_result_page_shows_the_reference_and_nothing_of_the_incident(plate_clause, holder, partner_officer, client):
    page = make_verified(client, partner_officer).post(URL, {**PLATE, "purpose": PURPOSE})
    assert page.status_code == 200
    text = page.content.decode()
    assert holder.reference in text and "Hit" in text
    for secret in forbidden_texts(holder):
        assert secret not in text, secret


def test_the_api_answers_only_countries_hits_and_references(plate_clause, holder, partner_agency, api_key, client):
    response = post_api(client, key_headers(api_key, partner_agency))
    assert response.status_code == 200
    body = assert_documented(response)
    assert set(body) == {"checked", "not_checked"}
    assert body["checked"] == [{"country": "LT", "hit": True, "references": [holder.reference]}]
    assert all(set(row) == {"country", "hit", "references"} for row in body["checked"])
    assert all(isinstance(code, str) and len(code) == 2 for code in body["not_checked"])
    for secret in forbidden_texts(holder):
        assert secret not in response.content.decode(), secret


def test_the_api_answers_no_hit_and_not_checked(plate_clause, holder, outsider_agency, api_key, client):
    body = assert_documented(post_api(client, key_headers(api_key, outsider_agency)))
    assert body["checked"] == [] and "LT" in body["not_checked"] and "FI" not in body["not_checked"]


def test_a_key_without_the_scope_is_refused_and_nothing_is_recorded(
    plate_clause, holder, partner_agency, api_key, client
):
    response = post_api(client, key_headers(api_key, partner_agency, scopes=[APIScope.INCIDENTS_READ]))
    assert response.status_code == 403 and not HitCheck.objects.exists()


# --- The index is keyed ------------------------------------------------------------------------------


def test_another_key_gives_no_hit(plate_clause, holder, partner_officer, settings):
    settings.EXCHANGE_HASH_KEY = "another-key-of-another-deployment-0123456789-abcdefghij"
    assert checked(check(partner_officer)) == {"LT": []}


def test_the_index_holds_keyed_digests_and_no_value(holder):
    rows = list(IdentifierDigest.objects.filter(incident=holder).values_list("kind", "digest"))
    plate = identifiers.Identifier("plate", PLATE_CANONICAL, "LT")
    assert ("plate", identifiers.digest(plate)) in rows and len(rows) == 2
    unkeyed = identifiers.digest(plate, key="")
    for _kind, digest in rows:
        assert len(digest) == 64 and digest != unkeyed
        assert PLATE_CANONICAL not in digest and VIN not in digest


# --- Recorded, audited, told --------------------------------------------------------------------------


def test_the_check_is_recorded_and_audited_with_its_purpose_never_the_value(plate_clause, holder, partner_officer):
    result = check(partner_officer)
    stored = HitCheck.objects.get()
    assert stored.purpose == PURPOSE and stored.kind == "plate" and stored.searcher == partner_officer
    assert stored.searching_country_id == "PL" and stored.checked_countries == ["LT"]
    assert stored.digest == identifiers.digest(identifiers.Identifier("plate", PLATE_CANONICAL, "LT"))
    assert [(hit.holder_country_id, hit.incident_id, hit.reference) for hit in stored.hits.all()] == [
        ("LT", holder.pk, holder.reference)
    ]
    entry = AuditQueueEntry.objects.get(action="exchange.hit_check")
    assert entry.object_id == str(stored.pk) and entry.actor_id == partner_officer.pk
    assert entry.details == {"kind": "plate", "countries_checked": ["LT"], "hits": 1}
    everything = json.dumps(list(HitCheck.objects.values()), default=str) + json.dumps(
        list(AuditQueueEntry.objects.values("details", "object_repr")), default=str
    )
    assert PLATE_CANONICAL not in everything and "abc-123" not in everything
    assert result.check == stored


def test_without_a_spoc_the_holder_agencys_liaison_officers_are_told(
    plate_clause, holder, partner_officer, owner_liaison
):
    check(partner_officer)
    note = Notification.objects.get(user=owner_liaison)
    for text in (holder.reference, PURPOSE, "Ona Test", "Polish Border Guard", "PL"):
        assert text in note.title + note.body, text
    assert note.url == "/exchange/hits/ours/"
    assert PLATE_CANONICAL not in note.title + note.body
    assert not Notification.objects.filter(user=partner_officer).exists()


def test_the_holders_spoc_is_told(plate_clause, holder, partner_officer, owner_liaison):
    desk = AgencyFactory(code="LT-SPOC", name="Lithuanian SPOC", country=Country.objects.get(pk="LT"))
    spoc_liaison = UserFactory(username="lt.spoc", agency=desk, is_officer=False, is_liaison=True)
    SinglePointOfContact.objects.create(country_id="LT", agency=desk)
    check(partner_officer)
    assert Notification.objects.filter(user=spoc_liaison, body__contains=holder.reference).exists()
    assert not Notification.objects.filter(user=owner_liaison).exists()


def test_a_hit_pushes_nothing_to_the_searching_country(plate_clause, holder, partner_officer, mailoutbox):
    """A hit travels as its reference in the answer only: no alert (feed, CAP, webhook), no
    notification and no e-mail reaches the searching country, with content or without."""
    from alerts.models import Alert

    alerts_before = set(Alert.objects.filter(country_id="PL").values_list("pk", flat=True))
    check(partner_officer)
    assert set(Alert.objects.filter(country_id="PL").values_list("pk", flat=True)) == alerts_before
    assert not Notification.objects.filter(user__agency__country_id="PL").exists()
    for message in mailoutbox:
        assert partner_officer.email not in message.to
        assert DESCRIPTION not in message.body and SECTOR not in message.body


def test_no_hit_tells_nobody(plate_clause, holder, partner_officer):
    check(partner_officer, value="ZZZ999")
    assert not Notification.objects.exists()


# --- Hits on our data ----------------------------------------------------------------------------------


def test_the_holder_sees_the_hits_on_its_data_and_whether_a_request_followed(
    plate_clause, holder, partner_officer, owner_liaison, supervisor, client
):
    check(partner_officer)
    page = make_verified(client, owner_liaison).get("/exchange/hits/ours/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (holder.reference, PURPOSE, "Ona Test", "Polish Border Guard", f"/incidents/{holder.pk}/", "None yet"):
        assert shown in text, shown
    assert [hit.followed for hit in hits.hits_on_our_data(supervisor)] == [False]


def test_a_request_from_the_hit_shows_as_followed(plate_clause, holder, partner_officer, owner_liaison):
    check(partner_officer)
    hit = Hit.objects.get()
    assert not hits.hits_on_our_data(owner_liaison).get().followed
    # The request form lives elsewhere; what counts is a request linked to the hit.
    from django.utils import timezone

    InformationRequest.objects.create(
        reference="PL-REQ-1",
        requesting_country_id="PL",
        requesting_agency=partner_officer.agency,
        requester_label="pl",
        requested_country_id="LT",
        routed_to=holder.agency,
        subject="Plate",
        sought="Who drove it",
        purpose=PURPOSE,
        legal_basis="directive",
        due_at=timezone.now() + datetime.timedelta(days=7),
        hit=hit,
    )
    assert hits.hits_on_our_data(owner_liaison).get().followed


@pytest.mark.parametrize("persona", ["partner_liaison", "outsider_liaison"])
def test_no_other_country_sees_hits_on_the_holders_data(
    plate_clause, holder, partner_officer, persona, request, client
):
    check(partner_officer)
    other = request.getfixturevalue(persona)
    assert not hits.hits_on_our_data(other).exists()
    text = make_verified(client, other).get("/exchange/hits/ours/").content.decode()
    assert holder.reference not in text and PURPOSE not in text


def test_officers_do_not_see_the_hits_page(officer, client):
    assert make_verified(client, officer).get("/exchange/hits/ours/").status_code == 403


# --- Who may search, and the request link ---------------------------------------------------------


def test_people_without_a_searching_role_and_keys_without_the_scope_may_not_check(
    plate_clause, holder, partner_agency, api_key, client
):
    analyst = UserFactory(username="pl.analyst", agency=partner_agency, is_officer=False, is_analyst=True)
    with pytest.raises(PermissionDenied):
        check(analyst)
    assert make_verified(client, analyst).get(URL).status_code == 403
    from portal.api.authentication import PartnerSystem

    reader, _raw = api_key(scopes=[APIScope.INCIDENTS_READ], agency=partner_agency)
    with pytest.raises(PermissionDenied):
        check(PartnerSystem(reader))
    searcher, _raw = api_key(scopes=[APIScope.EXCHANGE_SEARCH], agency=partner_agency)
    assert checked(check(PartnerSystem(searcher))) == {"LT": [holder.reference]}
    assert HitCheck.objects.get().searcher is None


def test_a_liaison_officer_gets_a_link_to_request_the_information(plate_clause, holder, partner_liaison, client):
    from urllib.parse import parse_qs, urlsplit

    from exchange.hit_views import request_form_url

    page = make_verified(client, partner_liaison).post(URL, {**PLATE, "purpose": PURPOSE})
    rows = [row for row in page.context["rows"] if row["reference"]]
    assert len(rows) == 1 and rows[0]["link"]
    link = urlsplit(rows[0]["link"])
    assert link.path == request_form_url()
    assert parse_qs(link.query) == {
        "requested_country": ["LT"],
        "kind": ["plate"],
        "value": [PLATE_CANONICAL],
        "country": ["LT"],
        "hit": [str(Hit.objects.get().pk)],
    }
    assert "Request the information" in page.content.decode()


# --- Invalid input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "ABC_123!"}, "value"),
        ({"country": ""}, "country"),
        ({"country": "XX"}, "country"),
        ({"kind": "vin", "value": "SHORT", "country": ""}, "value"),
        ({"purpose": "because"}, "purpose"),
    ],
    ids=["bad-plate", "plate-without-country", "unknown-country", "short-vin", "purpose-of-one-word"],
)
def test_invalid_input_is_refused_and_nothing_is_recorded(
    plate_clause, holder, partner_officer, partner_agency, api_key, client, fields, field
):
    with pytest.raises(ValidationError) as refused:
        check(partner_officer, **fields)
    assert field in refused.value.message_dict
    page = make_verified(client, partner_officer).post(URL, {**PLATE, "purpose": PURPOSE, **fields})
    assert page.status_code == 200 and field in page.context["form"].errors
    answer = post_api(client, key_headers(api_key, partner_agency), **fields)
    assert answer.status_code == 400 and field in assert_documented(answer)["error"]["fields"]
    assert not HitCheck.objects.exists() and not Hit.objects.exists()
    assert not AuditQueueEntry.objects.filter(action="exchange.hit_check").exists()


# --- Hourly limits -------------------------------------------------------------------------------------


def test_a_person_over_the_hourly_limit_is_refused_with_429_and_nothing_is_recorded(
    plate_clause, holder, partner_officer, partner_supervisor, settings, client
):
    settings.HIT_CHECKS_PER_HOUR_PERSON = 2
    signed_in = make_verified(client, partner_officer)
    for _ in range(2):
        assert signed_in.post(URL, {**PLATE, "purpose": PURPOSE}).status_code == 200
    assert HitCheck.objects.count() == 2
    refused = signed_in.post(URL, {**PLATE, "purpose": PURPOSE})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "as many hit/no-hit checks as an hour allows" in refused.content.decode()
    assert HitCheck.objects.count() == 2 and Hit.objects.count() == 2
    assert AuditQueueEntry.objects.filter(action="exchange.hit_check").count() == 2
    assert Notification.objects.filter(title__contains=holder.reference).count() == 2
    with pytest.raises(hits.TooManyHitChecks):
        check(partner_officer)
    check(partner_supervisor)  # another person has a limit of its own
    assert HitCheck.objects.count() == 3


def test_invalid_checks_do_not_count_against_the_limit(plate_clause, holder, partner_officer, settings):
    settings.HIT_CHECKS_PER_HOUR_PERSON = 1
    for _ in range(3):
        with pytest.raises(ValidationError):
            check(partner_officer, value="!!")
    check(partner_officer)
    with pytest.raises(hits.TooManyHitChecks):
        check(partner_officer)


def test_a_key_over_the_hourly_limit_gets_429_with_retry_after_and_nothing_is_recorded(
    plate_clause, holder, partner_agency, api_key, settings, client
):
    settings.HIT_CHECKS_PER_HOUR_KEY = 2
    headers = key_headers(api_key, partner_agency)
    assert [post_api(client, headers).status_code for _ in range(2)] == [200, 200]
    refused = post_api(client, headers)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert assert_documented(refused)["error"]["status"] == 429
    assert HitCheck.objects.count() == 2
    other = key_headers(api_key, partner_agency)  # another key of the same agency
    assert post_api(client, other).status_code == 200


def test_the_scope_is_known_to_keys_and_to_the_permission():
    from exchange.api.views import HitCheckCreate
    from portal.api.permissions import required_scope

    assert APIScope("exchange:search").label == "Run hit/no-hit checks"
    assert required_scope(HitCheckCreate, "POST") == APIScope.EXCHANGE_SEARCH
    assert required_scope(HitCheckCreate, "GET") is None


def test_the_nav_offers_the_check_to_people_who_search(officer, analyst_factory, client):
    from django.test import Client

    assert "/exchange/hits/" in make_verified(client, officer).get("/").content.decode()
    assert "/exchange/hits/" not in make_verified(Client(), analyst_factory()).get("/").content.decode()


@pytest.fixture
def analyst_factory(owner_agency):
    return lambda: UserFactory(username="lt.analyst", agency=owner_agency, is_officer=False, is_analyst=True)


# --- The benchmark's seed computes the portal's digests ---------------------------------------------


def test_the_seeds_digests_in_sql_equal_the_portals(db, settings):
    """bench/seed.py writes the index with pgcrypto's hmac(); a search computes digests with
    `incidents.identifiers.digest`: the same, kind by kind, country or none, under any key."""
    from django.db import connection

    from bench.seed import digest_sql, identifiers_of
    from tests.conftest import require

    require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")
    settings.EXCHANGE_HASH_KEY = "a-key-for-the-seed-test-ü-0123456789"
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        for kind, value, country in [
            *identifiers_of(123456, "PL"),
            ("document", "XK998877", "BY"),
            ("phone", "+37061234567", None),
        ]:
            cursor.execute(
                f"SELECT {digest_sql('%s', '%s', '%s', '%s')}", [kind, country, value, settings.EXCHANGE_HASH_KEY]
            )
            assert cursor.fetchone()[0] == identifiers.digest(identifiers.Identifier(kind, value, country)), kind
    assert [identifiers.normalise(kind, value, country) for kind, value, country in identifiers_of(7, "LT")] == [
        identifiers.Identifier(kind, value, country) for kind, value, country in identifiers_of(7, "LT")
    ]
