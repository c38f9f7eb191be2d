"""The transparency report of a country's data: it shows each country its own shares, the reads of
its incidents by other countries, the hit/no-hit checks that found them and the requests it
received, and nothing of another country's; liaison and data-protection officers read it, other
roles do not; its audit-derived figures come from the verified chain and are withheld when the
chain is broken; it downloads as CSV and PDF, and every read of it is audited.

The personas: LT shares with PL under an LT-PL clause and PL with LT under a PL-LT clause; FI has
no clause with LT."""

import contextlib
import csv
import datetime
import io
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from exchange import transparency
from exchange.models import Hit, HitCheck, InformationRequest, RequestAnswer
from incidents import services as incident_services
from incidents.models import ShareGrant
from portal import audit
from portal.models import APIScope, AuditEntry, Country, User
from tests.conftest import lt_to_pl_clause
from tests.factories import UserFactory

URL = "/exchange/transparency/"
PURPOSE = "Stolen car seen near Šalčininkai"


@pytest.fixture
def poland(db):
    return Country.objects.get(pk="PL")


@pytest.fixture
def dpo(owner_agency):
    return UserFactory(username="lt.dpo", agency=owner_agency, is_officer=False, is_dpo=True)


@pytest.fixture
def pl_lt_in_force(make_agreement, lithuania, poland):
    """PL shares smuggling of goods with LT: the partner's own shares, for its own report."""
    return make_agreement(
        "in_force", clause=lt_to_pl_clause(lithuania, provider=poland, receiver=lithuania), reference="PL-LT/1"
    )


@pytest.fixture
def pl_incident(partner_officer, partner_supervisor):
    def _make():
        incident = incident_services.incident_create(
            actor=partner_officer,
            category="smuggling_goods",
            occurred_at=timezone.now() - datetime.timedelta(hours=3),
            description="Fuel in a hidden tank",
            border_sector="Ogrodniki",
            marking="GREEN",
            severity="low",
        )
        incident = incident_services.incident_submit(incident=incident, actor=partner_officer)
        return incident_services.incident_validate(incident=incident, actor=partner_supervisor)

    return _make


def report_of(user, **period):
    today = timezone.localdate()
    return transparency.transparency_report(
        user,
        first_day=period.get("first_day", today - datetime.timedelta(days=29)),
        last_day=period.get("last_day", today),
    )


def hit_on(incident, *, by_agency, by_user, at, purpose=PURPOSE):
    check = HitCheck.objects.create(
        searching_country=by_agency.country,
        searching_agency=by_agency,
        searcher=by_user,
        searcher_label=by_user.username,
        kind="plate",
        digest="0" * 64,
        purpose=purpose,
        checked_countries=[incident.country_id],
        searched_at=at,
    )
    return Hit.objects.create(
        search=check, holder_country=incident.country, incident=incident, reference=incident.reference
    )


_numbers = iter(range(1, 10_000))


def received(*, by_agency, to_agency, sent_at, due_in, status="sent", closed_after=None, **fields):
    """A request from `by_agency`'s country to `to_agency`'s, written as a row."""
    due_at = sent_at + datetime.timedelta(days=due_in)
    return InformationRequest.objects.create(
        reference=f"RFI-{next(_numbers)}",
        requesting_country=by_agency.country,
        requesting_agency=by_agency,
        requester_label="liaison",
        requested_country=to_agency.country,
        routed_to=to_agency,
        subject="Keeper of a lorry",
        sought="The keeper",
        purpose="Investigation",
        legal_basis="directive",
        status=status,
        sent_at=sent_at,
        due_at=due_at,
        closed_at=sent_at + datetime.timedelta(days=closed_after) if closed_after is not None else None,
        **fields,
    )


@pytest.fixture
def world(
    clock,
    lt_pl_in_force,
    pl_lt_in_force,
    make_incident,
    pl_incident,
    owner_agency,
    partner_agency,
    outsider_agency,
    officer,
    partner_officer,
    outsider_officer,
    api_key,
    client,
):
    """Shares, reads, hits and requests of LT and PL, some before the last 30 days and most in them."""
    old_lt = make_incident("validated", description="An old one")
    hit_on(old_lt, by_agency=partner_agency, by_user=partner_officer, at=timezone.now())
    received(by_agency=partner_agency, to_agency=owner_agency, sent_at=timezone.now(), due_in=7)
    incident_services.foreign_read_record(actor=partner_officer, incident=old_lt, action="incident.viewed")
    clock.advance(days=40)  # all of the above is now outside the default period

    lt = [make_incident("validated"), make_incident("validated")]
    lt_red = make_incident("validated", marking="RED")  # never shared
    pl = pl_incident()
    now = timezone.now()
    fi = incident_services.incident_create(
        actor=outsider_officer,
        category="smuggling_goods",
        occurred_at=now - datetime.timedelta(hours=1),
        description="A Finnish one",
        border_sector="Vaalimaa",
        marking="GREEN",
        severity="low",
    )
    # Reads: PL's officer opens one LT incident and lists both (with FI's, and PL's own, which is
    # not recorded); a PL system reads one by API key; FI reads nothing of LT's (it sees nothing);
    # LT reads PL's incident.
    incident_services.foreign_read_record(actor=partner_officer, incident=lt[0], action="incident.viewed")
    incident_services.foreign_reads_record(
        actor=partner_officer,
        rows=[(lt[0].pk, "LT"), (lt[1].pk, "LT"), (pl.pk, "PL"), (fi.pk, "FI")],
        action="incident.listed",
    )
    key, raw = api_key(scopes=[APIScope.INCIDENTS_READ], agency=partner_agency)
    answer = client.get(f"/api/v1/incidents/{lt[1].pk}/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert answer.status_code == 200
    incident_services.foreign_read_record(actor=officer, incident=pl, action="incident.viewed")
    # Hits: two of PL's checks on LT's data; one of LT's and one of FI's on PL's.
    hits_on_lt = [
        hit_on(lt[0], by_agency=partner_agency, by_user=partner_officer, at=now),
        hit_on(lt[1], by_agency=partner_agency, by_user=partner_officer, at=now, purpose="Lorry seen twice"),
    ]
    hit_on(pl, by_agency=owner_agency, by_user=officer, at=now, purpose="Our check of PL")
    hit_on(pl, by_agency=outsider_agency, by_user=outsider_officer, at=now, purpose="FI's check of PL")
    # Requests received by LT, each with the line of the report it belongs to.
    ago = now - datetime.timedelta(days=10)
    expected = [
        (
            received(
                by_agency=partner_agency,
                to_agency=owner_agency,
                sent_at=ago,
                due_in=7,
                status="answered",
                closed_after=1,
            ),
            "on_time",
        ),
        (
            received(
                by_agency=partner_agency,
                to_agency=owner_agency,
                sent_at=ago,
                due_in=7,
                status="answered",
                closed_after=8,
            ),
            "late",
        ),
        (
            received(
                by_agency=outsider_agency,
                to_agency=owner_agency,
                sent_at=ago,
                due_in=7,
                status="refused",
                closed_after=2,
            ),
            "on_time",
        ),
        (received(by_agency=partner_agency, to_agency=owner_agency, sent_at=ago, due_in=3), "open_overdue"),
        (received(by_agency=partner_agency, to_agency=owner_agency, sent_at=now, due_in=7), "open_in_time"),
        (
            received(by_agency=partner_agency, to_agency=owner_agency, sent_at=ago, due_in=7, status="partial"),
            "open_overdue",
        ),
        (
            received(
                by_agency=outsider_agency,
                to_agency=owner_agency,
                sent_at=ago,
                due_in=7,
                status="withdrawn",
                closed_after=1,
            ),
            "withdrawn",
        ),
    ]
    refused = expected[2][0]
    RequestAnswer.objects.create(
        request=refused, kind="refusal", refusal_ground="not_available", answered_by_label="lt.liaison"
    )
    to_pl = received(by_agency=owner_agency, to_agency=partner_agency, sent_at=ago, due_in=7)
    return {
        "lt": lt,
        "lt_red": lt_red,
        "pl": pl,
        "fi": fi,
        "key": key,
        "hits_on_lt": hits_on_lt,
        "requests": expected,
        "to_pl": to_pl,
        "now": now,
    }


# --- Each country sees its own ---------------------------------------------------------------------


def test_owner_liaison_sees_its_shares_with_the_partner_under_the_clause(world, owner_liaison, lt_pl_in_force):
    report = report_of(owner_liaison)
    assert report.chain.ok
    # The independent count: LT's grants to PL made in the period, from the ledger.
    since = timezone.now() - datetime.timedelta(days=30)
    grants = ShareGrant.objects.filter(incident__country_id="LT", country_id="PL", granted_at__gte=since)
    assert {g.incident_id for g in grants} == {i.pk for i in world["lt"]}
    [row] = report.shares
    clause = lt_pl_in_force.clauses.get()
    assert (row.partner_id, row.clause_id, row.agreement_reference) == ("PL", clause.pk, lt_pl_in_force.reference)
    assert row.incidents == grants.count() == 2
    assert row.last_end == max(g.expires_at for g in grants)
    assert "Lithuania shares" in row.clause_text
    [now_row] = report.partners_now
    assert now_row.partner_id == "PL" and now_row.incidents == 2  # the old share's retention ran out


def test_partner_liaison_sees_the_partners_shares_not_the_owners(world, partner_liaison, pl_lt_in_force):
    report = report_of(partner_liaison)
    assert [(row.partner_id, row.agreement_reference, row.incidents) for row in report.shares] == [
        ("LT", pl_lt_in_force.reference, 1)
    ]
    assert [row.partner_id for row in report.partners_now] == ["LT"]


def test_country_without_a_clause_gets_nothing_of_the_owners(world, outsider_liaison, owner_liaison):
    report = report_of(outsider_liaison)
    assert report.shares == [] and report.partners_now == []
    # FI's report holds the one read of FI's own incident (PL's list held it), none of LT's.
    assert [(row.actor_label, row.incident_ids) for row in report.reads] == [("pl.officer", {world["fi"].pk})]
    assert report.hits == [] and report.requests_total.received == 0
    # And the owner's report names no share with it.
    assert "FI" not in {row.partner_id for row in report_of(owner_liaison).shares}


def test_reads_of_the_owners_incidents_are_counted_per_reader(world, owner_liaison, partner_officer):
    report = report_of(owner_liaison)
    # The independent count: the reads done in `world` in the period, of LT's incidents only.
    lt = [i.pk for i in world["lt"]]
    expected = {
        "pl.officer": (3, {lt[0], lt[1]}),  # opened one, listed both (PL's own in the list not counted)
        f"api-key:{world['key'].prefix}": (1, {lt[1]}),
    }
    seen = {row.actor_label: (row.reads, row.incident_ids) for row in report.reads}
    assert seen == expected
    assert {row.agency.code for row in report.reads} == {"PL-SG"}
    assert report.reads_total == 4


def test_reads_of_the_partners_incidents_are_in_the_partners_report(world, partner_liaison):
    [row] = report_of(partner_liaison).reads
    assert (row.actor_label, row.reads, row.incident_ids) == ("lt.officer", 1, {world["pl"].pk})


def test_hits_on_the_owners_data_in_the_period(world, owner_liaison, partner_liaison):
    report = report_of(owner_liaison)
    assert [hit.pk for hit in report.hits] == [hit.pk for hit in world["hits_on_lt"]]
    [summary] = report.hit_countries
    assert (summary.country_id, summary.checks, summary.hits) == ("PL", 2, 2)
    assert [hit.search.purpose for hit in report_of(partner_liaison).hits] == ["Our check of PL", "FI's check of PL"]


def test_requests_received_by_how_they_were_answered(world, owner_liaison, partner_liaison):
    report = report_of(owner_liaison)
    expected = Counter(line for _request, line in world["requests"])
    total = report.requests_total
    assert total.received == len(world["requests"]) == 7
    assert {name: getattr(total, name) for name in expected} == dict(expected)
    assert total.late == expected["late"] == 1
    by_country = {row.country_id: row.received for row in report.requests}
    assert by_country == dict(Counter(r.requesting_country_id for r, _line in world["requests"]))
    assert [(ground, count) for ground, _label, count in report.refusals] == [("not_available", 1)]
    # PL's report counts the one LT sent it, and none of LT's.
    assert report_of(partner_liaison).requests_total.received == 1


# --- Who reads it --------------------------------------------------------------------------------


def test_an_officer_is_refused(world, officer, signed_in):
    assert signed_in(officer).get(URL).status_code == 403
    assert signed_in(officer).get(URL + "report.csv").status_code == 403


def test_a_supervisor_is_refused(world, supervisor, signed_in):
    assert signed_in(supervisor).get(URL + "report.pdf").status_code == 403


def test_the_dpo_role_grants_the_report_of_its_country(world, dpo, signed_in):
    response = signed_in(dpo).get(URL)
    assert response.status_code == 200
    assert response.context["report"].country.pk == "LT"
    assert response.context["report"].shares[0].incidents == 2
    assert "Transparency" in [item["label"] for item in response.context["nav_items"]]


def test_the_dpo_role_is_granted_by_the_agency_administrator(owner_agency, agency_admin, signed_in):
    client = signed_in(agency_admin)
    response = client.post(
        reverse("agency_user_create"),
        {"username": "lt.newdpo", "first_name": "Rasa", "last_name": "K", "email": "r@example.org", "roles": ["dpo"]},
    )
    assert response.status_code == 302
    user = User.objects.get(username="lt.newdpo")
    assert user.is_dpo and user.roles == ["dpo"] and user.role_labels() == ["Data-protection officer"]
    assert transparency.may_read(user)


def test_every_read_is_audited(world, owner_liaison, signed_in):
    client = signed_in(owner_liaison)
    client.get(URL)
    client.get(URL + "report.csv")
    client.get(URL + "report.pdf")
    audit.integrate()
    entries = AuditEntry.objects.filter(action__startswith="transparency.", actor=owner_liaison).order_by("id")
    assert [(e.action, e.details["format"], e.details["country"]) for e in entries] == [
        ("transparency.viewed", "html", "LT"),
        ("transparency.downloaded", "csv", "LT"),
        ("transparency.downloaded", "pdf", "LT"),
    ]


# --- The period ----------------------------------------------------------------------------------


def test_the_default_period_is_the_last_30_days(world, owner_liaison, signed_in):
    report = signed_in(owner_liaison).get(URL).context["report"]
    assert report.period.days == 30 and report.period.last_day == timezone.localdate()


def test_an_earlier_period_holds_the_earlier_data(world, owner_liaison):
    today = timezone.localdate()
    report = report_of(
        owner_liaison, first_day=today - datetime.timedelta(days=45), last_day=today - datetime.timedelta(days=35)
    )
    assert [row.incidents for row in report.shares] == [1]
    assert [row.reads for row in report.reads] == [1]
    assert len(report.hits) == 1 and report.requests_total.received == 1


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        (0, 1, "cannot end after today"),  # days from today
        (0, -1, "must start on or before"),
        (-(3 * 365 + 1), 0, "at most 1096 days"),
        (None, 0, "This field is required"),
    ],
)
def test_period_is_validated(world, owner_liaison, signed_in, start, to, message):
    today = timezone.localdate()
    query = {"to": today + datetime.timedelta(days=to)}
    if start is not None:
        query["start"] = today + datetime.timedelta(days=start)
    response = signed_in(owner_liaison).get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert signed_in(owner_liaison).get(URL + "report.csv", query).status_code == 400


def test_three_years_is_allowed(world, owner_liaison, signed_in):
    today = timezone.localdate()
    query = {"start": today - datetime.timedelta(days=3 * 365), "to": today}
    assert signed_in(owner_liaison).get(URL, query).context["report"].period.days == 1096


# --- Downloads -----------------------------------------------------------------------------------


def sections(text):
    """The CSV's sections: title -> (header, rows)."""
    rows = list(csv.reader(io.StringIO(text)))
    found, index = {}, 0
    while index < len(rows):
        if rows[index] == [] and index + 1 < len(rows):
            title = rows[index + 1][0]
            body = []
            index += 2
            while index < len(rows) and rows[index] != []:
                body.append(rows[index])
                index += 1
            found[title] = (body[0] if body else [], body[1:])
        else:
            index += 1
    return found


def test_csv_has_one_section_per_table_with_headers(world, owner_liaison, signed_in, lt_pl_in_force):
    response = signed_in(owner_liaison).get(URL + "report.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"].startswith('attachment; filename="transparency-LT-')
    found = sections(response.content.decode())
    header, rows = found["Shared with partner countries in the period"]
    assert header[:4] == ["Partner country", "Agreement", "Clause", "Incidents shared"]
    assert [(r[0], r[1], r[3]) for r in rows] == [("Poland (PL)", lt_pl_in_force.reference, "2")]
    header, rows = found["Read by partner users and systems in the period"]
    assert header == ["Country", "Agency", "Person or system", "Reads", "Incidents read", "Last read"]
    assert sorted((r[2], r[3], r[4]) for r in rows) == sorted(
        [("pl.officer", "3", "2"), (f"api-key:{world['key'].prefix}", "1", "1")]
    )
    header, rows = found["Requests for information received in the period"]
    assert header[1:4] == ["Received", "Answered within the time limit", "Answered late"]
    assert rows[-1][:4] == ["All countries", "7", "2", "1"]
    _header, rows = found["Hits on our incidents"]
    assert [r[5] for r in rows] == [PURPOSE, "Lorry seen twice"]
    assert "Audit log verified up to entry" in response.content.decode().splitlines()[3]


def pdf_text(content):
    """The PDF's text, its runs of white space made one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_pdf_holds_the_figures(world, owner_liaison, signed_in, lt_pl_in_force):
    client = signed_in(owner_liaison)
    audit.integrate()
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.get(URL + "report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    flat = pdf_text(response.content)
    assert "Transparency report of Lithuania (LT)" in flat
    assert f"Audit log verified up to entry {last} " in flat
    assert lt_pl_in_force.reference in flat and "pl.officer" in flat
    assert f"api-key:{world['key'].prefix}" in flat
    assert "Lorry seen twice" in flat
    # The accents of a purpose survive where the report's font is at hand.
    assert ("Šalčininkai" if transparency._font_dir() else "Salcininkai") in flat
    assert "All countries 7 2 1 2 1 1" in flat  # received, on time, late, overdue, in time, withdrawn


# --- A broken chain ------------------------------------------------------------------------------


@contextlib.contextmanager
def append_only_lifted():
    """PostgreSQL's trigger refuses changes to audit entries (SQLite has only the model's guard,
    which a queryset update passes by): lifted for one change."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE portal_auditentry DISABLE TRIGGER portal_auditentry_append_only")
        yield
        if postgresql:
            cursor.execute("ALTER TABLE portal_auditentry ENABLE TRIGGER portal_auditentry_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_a_broken_chain_is_reported_and_its_figures_withheld(world, owner_liaison, signed_in):
    audit.integrate()
    shared = AuditEntry.objects.filter(action="incident.shared").order_by("-id").first()
    with append_only_lifted():  # as an intruder with database access would
        AuditEntry.objects.filter(pk=shared.pk).update(details={**shared.details, "country": "FI"})
    report = report_of(owner_liaison)
    assert not report.chain.ok and report.chain.broken_at == shared.pk
    assert report.shares == [] and report.reads == []
    page = signed_in(owner_liaison).get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "The audit log failed its verification." in body
    assert f"broken at entry {shared.pk}" in body
    assert "Audit log verified" not in body
    text = signed_in(owner_liaison).get(URL + "report.csv").content.decode()
    assert f"broken at entry {shared.pk}" in text and "Poland (PL)" not in text.split("Still visible")[0]
    flat = pdf_text(signed_in(owner_liaison).get(URL + "report.pdf").content)
    assert f"broken at entry {shared.pk}" in flat and "Audit log verified" not in flat
