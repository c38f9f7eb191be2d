"""The transparency report of a country's data, for its liaison officers and data-protection
officers: what the country shared, with whom, under which clause and until when; which partner
users and systems read it; which hit/no-hit checks found it; how the requests for information it
received were answered; as a page, a CSV file and a PDF.

What comes from the audit log (shares and reads) is read from the chained entries only, after
the queue is chained (`portal.audit.integrate`), and the chain is then walked by the same
verification as `manage.py verify_audit_log` (`portal.audit.verify_chain`): the report says up to
which entry the figures are verified, and shows none of them when the chain is broken.
"""

import csv
import datetime
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import Agreement, DataSharingClause, end_of_day
from agreements.selectors import clause_sentence
from exchange.models import Hit, InformationRequest, RefusalGround, RequestAnswer, RequestStatus
from exchange.selectors import is_person
from incidents.gate import open_q
from incidents.models import Incident, IncidentVisibility
from portal import audit
from portal.gate import principal_country_id
from portal.models import Agency, AuditEntry, Country

DEFAULT_PERIOD_DAYS = 30
# The longest period one report covers: three years (leap days included).
MAX_PERIOD_DAYS = 3 * 365 + 1

# The sharing engine's entries about a country's incidents (`incidents.sharing`).
SHARED, SHARE_REVOKED = "incident.shared", "incident.share_revoked"
# Reads of another country's incidents are entries of actions in "incident." with either the
# owner's country (one incident: `foreign_read_record`) or the incidents read (a list, an export
# or a map: `foreign_reads_record`) in their details.
READ_PREFIX = "incident."
INCIDENT_TYPE = "incidents.incident"
# Ids of incidents looked up at a time when reads of lists are matched to their owner.
ID_CHUNK = 2000


def may_read(principal):
    """Liaison officers and data-protection officers of an active agency (people, not systems)."""
    return (
        is_person(principal)
        and principal_country_id(principal) is not None
        and bool(getattr(principal, "is_liaison", False) or getattr(principal, "is_dpo", False))
    )


def reader_country_id(principal):
    """The country whose report the principal reads, or PermissionDenied."""
    if not may_read(principal):
        raise PermissionDenied(_("The transparency report is read by liaison officers and data-protection officers."))
    return principal_country_id(principal)


# --- The period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days in the portal's time zone, both included."""

    first_day: datetime.date
    last_day: datetime.date

    @property
    def start(self):
        return end_of_day(self.first_day - datetime.timedelta(days=1))

    @property
    def end(self):
        """The first moment after the period."""
        return end_of_day(self.last_day)

    @property
    def days(self):
        return (self.last_day - self.first_day).days + 1


def period_default(today=None):
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return Period(today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


def period_check(first_day, last_day, today=None):
    """The period from `first_day` to `last_day`, or a ValidationError naming the field at fault."""
    today = today or timezone.localdate()
    if last_day > today:
        raise ValidationError({"to": _("The period cannot end after today.")})
    if first_day > last_day:
        raise ValidationError({"start": _("The period must start on or before the day it ends.")})
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationError(
            {"start": _("A report covers at most %(days)s days (three years).") % {"days": MAX_PERIOD_DAYS}}
        )
    return Period(first_day, last_day)


# --- What the report holds ----------------------------------------------------------------------


@dataclass
class ChainCheck:
    """The audit log's chain as walked after the report's entries were read."""

    ok: bool
    upto: int  # the last entry the report read from
    checked: int
    broken_at: int | None = None
    reason: str = ""


@dataclass
class ShareRow:
    """Shares of the country's incidents with one partner under one clause, in the period."""

    partner: Country | None
    partner_id: str
    clause_id: int
    agreement_reference: str
    clause_text: str
    incidents: int = 0
    personal_data: int = 0
    ended: int = 0
    first_end: datetime.datetime | None = None
    last_end: datetime.datetime | None = None


@dataclass
class PartnerNow:
    """What one partner may still see of the country's incidents at the time of the report."""

    partner: Country | None
    partner_id: str
    incidents: int
    personal_data: int
    last_end: datetime.datetime | None


@dataclass
class ReadRow:
    """Reads of the country's incidents by one person or partner system of another country."""

    country_id: str
    agency: Agency | None
    actor_label: str
    reads: int = 0
    incident_ids: set = field(default_factory=set)
    last_read: datetime.datetime | None = None

    @property
    def incidents(self):
        return len(self.incident_ids)

    @property
    def agency_label(self):
        return f"{self.agency.name} ({self.agency.code})" if self.agency is not None else "—"


@dataclass
class HitCountry:
    country_id: str
    country: Country | None
    checks: int
    hits: int


@dataclass
class RequestCountry:
    """Requests received from one country in the period, by how they were answered."""

    country_id: str
    country: Country | None
    received: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    open_in_time: int = 0
    withdrawn: int = 0

    def add(self, other):
        for name in ("received", "on_time", "late", "open_overdue", "open_in_time", "withdrawn"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    country: Country
    period: Period
    generated_at: datetime.datetime
    chain: ChainCheck
    shares: list[ShareRow]
    partners_now: list[PartnerNow]
    reads: list[ReadRow]
    hits: list[Hit]
    hit_countries: list[HitCountry]
    requests: list[RequestCountry]
    requests_total: RequestCountry
    refusals: list[tuple[str, str, int]]  # (ground, its label, how many)

    @property
    def shows_audit_figures(self):
        return self.chain.ok

    @property
    def shared_incidents(self):
        return sum(row.incidents for row in self.shares)

    @property
    def reads_total(self):
        return sum(row.reads for row in self.reads)


def transparency_report(principal, *, first_day, last_day, now=None):
    """The report of the principal's country over the period (validated: `period_check`)."""
    country_id = reader_country_id(principal)
    now = now or timezone.now()
    period = period_check(first_day, last_day, today=timezone.localdate(now))
    country = Country.objects.get(pk=country_id)
    audit.integrate()
    upto = AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0
    entries = AuditEntry.objects.filter(id__lte=upto, timestamp__gte=period.start, timestamp__lt=period.end)
    shares = _shares(principal, country_id, entries)
    reads = _reads(principal, country_id, entries)
    chain = _chain(upto)
    hits, hit_countries = _hits(country_id, period)
    requests, total, refusals = _requests(country_id, period, now)
    if not chain.ok:  # figures of a log that cannot be trusted are not shown at all
        shares, reads = [], []
    return Report(
        country=country,
        period=period,
        generated_at=now,
        chain=chain,
        shares=shares,
        partners_now=_partners_now(principal, country_id, now),
        reads=reads,
        hits=hits,
        hit_countries=hit_countries,
        requests=requests,
        requests_total=total,
        refusals=refusals,
    )


def _chain(upto):
    """Walk the chain as `verify_audit_log` does, over every entry up to and past `upto`."""
    result = audit.verify_chain()
    return ChainCheck(ok=result.ok, upto=upto, checked=result.checked, broken_at=result.broken_at, reason=result.reason)


def _countries(ids):
    return Country.objects.in_bulk([i for i in ids if i])


def _own_incidents(principal, country_id):
    """The country's incidents, through the gate (a country always sees its own)."""
    return Incident.objects.visible_to(principal).filter(country_id=country_id)


def _moment(value):
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def _shares(principal, country_id, entries):
    """Shares and their ends in the period, from the sharing engine's entries about the
    country's incidents (written against each incident, with its agency)."""
    rows: dict[tuple[str, int], dict] = {}
    sharing = entries.filter(
        action__in=[SHARED, SHARE_REVOKED], object_type=INCIDENT_TYPE, agency__country_id=country_id
    ).values_list("action", "object_id", "details")
    for action, object_id, details in sharing.iterator(chunk_size=ID_CHUNK):
        partner, clause = details.get("country"), details.get("clause")
        if not partner or partner == country_id or clause is None:
            continue
        row = rows.setdefault((partner, clause), {"shared": set(), "personal": set(), "ended": set(), "ends": []})
        if action == SHARED:
            row["shared"].add(object_id)
            if details.get("personal_data"):
                row["personal"].add(object_id)
            end = _moment(details.get("expires_at"))
            if end is not None:
                row["ends"].append(end)
        else:
            row["ended"].add(object_id)
    # The clauses of agreements the country is a party to, through the agreements' gate.
    clauses = (
        DataSharingClause.objects.filter(
            pk__in={clause for _partner, clause in rows}, agreement__in=Agreement.objects.visible_to(principal)
        )
        .select_related("agreement", "provider", "receiver")
        .in_bulk()
    )
    countries = _countries({partner for partner, _clause in rows})
    result = []
    for (partner, clause_id), row in rows.items():
        clause = clauses.get(clause_id)
        result.append(
            ShareRow(
                partner=countries.get(partner),
                partner_id=partner,
                clause_id=clause_id,
                agreement_reference=clause.agreement.reference if clause else "—",
                clause_text=clause_sentence(clause) if clause else _("The clause is no longer on record."),
                incidents=len(row["shared"]),
                personal_data=len(row["personal"]),
                ended=len(row["ended"]),
                first_end=min(row["ends"], default=None),
                last_end=max(row["ends"], default=None),
            )
        )
    return sorted(result, key=lambda r: (r.partner_id, r.agreement_reference, r.clause_id))


def _partners_now(principal, country_id, now):
    """Per partner, the country's incidents it may still see now, from the visibility index."""
    rows = (
        IncidentVisibility.objects.filter(content_object__in=_own_incidents(principal, country_id), is_owner=False)
        .exclude(country_id=country_id)
        .filter(open_q("expires_at", now))
        .values("country_id")
        .annotate(
            incidents=Count("id"),
            personal=Count("id", filter=Q(personal_data=True) & open_q("personal_data_until", now)),
            last_end=Max("expires_at"),
        )
        .order_by("country_id")
    )
    rows = list(rows)
    countries = _countries({row["country_id"] for row in rows})
    return [
        PartnerNow(
            partner=countries.get(row["country_id"]),
            partner_id=row["country_id"],
            incidents=row["incidents"],
            personal_data=row["personal"],
            last_end=row["last_end"],
        )
        for row in rows
    ]


def _reads(principal, country_id, entries):
    """Reads of the country's incidents by other countries' people and systems in the period."""
    reads = (
        entries.filter(action__startswith=READ_PREFIX)
        .filter(Q(object_type=INCIDENT_TYPE, details__owner_country=country_id) | Q(details__has_key="incidents"))
        .exclude(agency__country_id=country_id)
        .values_list("agency_id", "actor_label", "object_id", "details", "timestamp")
    )
    listed: list[tuple[tuple, list[int], datetime.datetime]] = []
    rows: dict[tuple, ReadRow] = {}
    for agency_id, label, object_id, details, timestamp in reads.iterator(chunk_size=ID_CHUNK):
        key = (agency_id, label)
        if object_id and details.get("owner_country") == country_id:
            _count_read(rows, key, [int(object_id)], timestamp)
        elif isinstance(details.get("incidents"), list):
            listed.append((key, [int(pk) for pk in details["incidents"] if str(pk).isdigit()], timestamp))
    # Which of the incidents in lists are the country's own.
    wanted = sorted({pk for _key, ids, _at in listed for pk in ids})
    own: set[int] = set()
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        own.update(_own_incidents(principal, country_id).filter(pk__in=chunk).values_list("pk", flat=True))
    for key, ids, timestamp in listed:
        _count_read(rows, key, [pk for pk in ids if pk in own], timestamp)
    agencies = Agency.objects.select_related("country").in_bulk({agency_id for agency_id, _label in rows if agency_id})
    for (agency_id, _label), row in rows.items():
        row.agency = agencies.get(agency_id)
        row.country_id = row.agency.country_id if row.agency else ""
    return sorted(rows.values(), key=lambda r: (r.country_id, r.agency_label, r.actor_label))


def _count_read(rows, key, incident_ids, timestamp):
    if not incident_ids:
        return
    row = rows.get(key)
    if row is None:
        row = rows[key] = ReadRow(country_id="", agency=None, actor_label=key[1])
    row.reads += len(incident_ids)
    row.incident_ids.update(incident_ids)
    row.last_read = max(row.last_read or timestamp, timestamp)


def _hits(country_id, period):
    """Hit/no-hit checks of other countries that found the country's incidents in the period."""
    hits = list(
        Hit.objects.filter(
            holder_country_id=country_id, search__searched_at__gte=period.start, search__searched_at__lt=period.end
        )
        .exclude(search__searching_country_id=country_id)
        .select_related("search__searching_agency", "search__searching_country")
        .order_by("search__searched_at", "id")
    )
    by_country: dict[str, dict] = defaultdict(lambda: {"checks": set(), "hits": 0})
    for hit in hits:
        counts = by_country[hit.search.searching_country_id]
        counts["checks"].add(hit.search_id)
        counts["hits"] += 1
    countries = _countries(set(by_country))
    summary = [
        HitCountry(country_id=code, country=countries.get(code), checks=len(counts["checks"]), hits=counts["hits"])
        for code, counts in sorted(by_country.items())
    ]
    return hits, summary


def _requests(country_id, period, now):
    """Requests for information the country received in the period, by requesting country: a
    request answered in full or refused was answered on time when it closed by its time limit
    (an extended one included); an open one (partly answered included) is overdue past it."""
    received = InformationRequest.objects.filter(
        requested_country_id=country_id, sent_at__gte=period.start, sent_at__lt=period.end
    )
    rows: dict[str, RequestCountry] = {}
    for requester, status, due_at, closed_at in received.values_list(
        "requesting_country_id", "status", "due_at", "closed_at"
    ).iterator(chunk_size=ID_CHUNK):
        row = rows.setdefault(requester, RequestCountry(country_id=requester, country=None))
        row.received += 1
        if status == RequestStatus.WITHDRAWN:
            row.withdrawn += 1
        elif status in RequestStatus.open():
            if now > due_at:
                row.open_overdue += 1
            else:
                row.open_in_time += 1
        elif closed_at is not None and closed_at <= due_at:
            row.on_time += 1
        else:
            row.late += 1
    countries = _countries(set(rows))
    total = RequestCountry(country_id="", country=None)
    for code, row in rows.items():
        row.country = countries.get(code)
        total.add(row)
    grounds = (
        RequestAnswer.objects.filter(request__in=received, kind="refusal")
        .values("refusal_ground")
        .annotate(n=Count("id"))
        .order_by("refusal_ground")
    )
    labels = dict(RefusalGround.choices)
    refusals = [
        (g["refusal_ground"], str(labels.get(g["refusal_ground"], g["refusal_ground"])), g["n"]) for g in grounds
    ]
    return [rows[code] for code in sorted(rows)], total, refusals


# --- Reads of the report are audited -------------------------------------------------------------


def transparency_read_record(*, actor, report, fmt="html", request=None):
    """Every read of a report is written to the audit log: the page, or a download."""
    audit.record(
        "transparency.viewed" if fmt == "html" else "transparency.downloaded",
        actor=actor,
        request=request,
        details={
            "country": report.country.pk,
            "from": report.period.first_day.isoformat(),
            "to": report.period.last_day.isoformat(),
            "format": fmt,
            "chain_ok": report.chain.ok,
            "upto": report.chain.upto,
        },
    )


# --- The report as tables: what the CSV file and the PDF hold ------------------------------------


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _name(country, code):
    return f"{country.localized_name} ({code})" if country is not None else code


def chain_statement(report):
    chain = report.chain
    if chain.ok:
        return _("Audit log verified up to entry %(upto)s (%(checked)s entries checked).") % {
            "upto": chain.upto,
            "checked": chain.checked,
        }
    where = _("at entry %(id)s") % {"id": chain.broken_at} if chain.broken_at is not None else _("after the last entry")
    return _(
        "The audit log's chain is broken %(where)s (%(reason)s): the figures drawn from the audit log are not shown."
    ) % {"where": where, "reason": chain.reason}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    note: str = ""


def tables(report):
    """The report's sections, each a titled table: the CSV file and the PDF are written from these."""
    sections = []
    withheld = "" if report.shows_audit_figures else chain_statement(report)
    sections.append(
        Table(
            _("Shared with partner countries in the period"),
            [
                _("Partner country"),
                _("Agreement"),
                _("Clause"),
                _("Incidents shared"),
                _("With personal data"),
                _("Shares ended"),
                _("First share window ends"),
                _("Last share window ends"),
            ],
            [
                [
                    _name(row.partner, row.partner_id),
                    row.agreement_reference,
                    row.clause_text,
                    row.incidents,
                    row.personal_data,
                    row.ended,
                    _when(row.first_end),
                    _when(row.last_end),
                ]
                for row in report.shares
            ],
            withheld,
        )
    )
    sections.append(
        Table(
            _("Still visible to partner countries now"),
            [_("Partner country"), _("Incidents"), _("With personal data"), _("Last share window ends")],
            [
                [_name(row.partner, row.partner_id), row.incidents, row.personal_data, _when(row.last_end)]
                for row in report.partners_now
            ],
        )
    )
    sections.append(
        Table(
            _("Read by partner users and systems in the period"),
            [_("Country"), _("Agency"), _("Person or system"), _("Reads"), _("Incidents read"), _("Last read")],
            [
                [row.country_id, row.agency_label, row.actor_label, row.reads, row.incidents, _when(row.last_read)]
                for row in report.reads
            ],
            withheld,
        )
    )
    sections.append(
        Table(
            _("Hit/no-hit checks that found our incidents, by country"),
            [_("Country"), _("Checks"), _("Hits")],
            [[_name(row.country, row.country_id), row.checks, row.hits] for row in report.hit_countries],
        )
    )
    sections.append(
        Table(
            _("Hits on our incidents"),
            [_("When"), _("Searched by"), _("Agency"), _("Country"), _("Kind"), _("Purpose"), _("Our incident")],
            [
                [
                    _when(hit.search.searched_at),
                    hit.search.searcher_label,
                    f"{hit.search.searching_agency.name} ({hit.search.searching_agency.code})",
                    hit.search.searching_country_id,
                    hit.search.get_kind_display(),
                    hit.search.purpose,
                    hit.reference,
                ]
                for hit in report.hits
            ],
        )
    )
    total = report.requests_total
    sections.append(
        Table(
            _("Requests for information received in the period"),
            [
                _("Requesting country"),
                _("Received"),
                _("Answered within the time limit"),
                _("Answered late"),
                _("Open and overdue"),
                _("Open within the time limit"),
                _("Withdrawn"),
            ],
            [
                *[
                    [
                        _name(row.country, row.country_id),
                        row.received,
                        row.on_time,
                        row.late,
                        row.open_overdue,
                        row.open_in_time,
                        row.withdrawn,
                    ]
                    for row in report.requests
                ],
                [
                    _("All countries"),
                    total.received,
                    total.on_time,
                    total.late,
                    total.open_overdue,
                    total.open_in_time,
                    total.withdrawn,
                ],
            ],
        )
    )
    sections.append(
        Table(
            _("Requests refused, by ground"),
            [_("Ground"), _("Refusals")],
            [[label, count] for _ground, label, count in report.refusals],
        )
    )
    return sections


def heading_lines(report):
    return [
        _("Transparency report of %(country)s") % {"country": _name(report.country, report.country.pk)},
        _("Period: %(start)s to %(end)s") % {"start": report.period.first_day, "end": report.period.last_day},
        _("Generated: %(when)s") % {"when": _when(report.generated_at)},
        chain_statement(report),
    ]


# Leading characters a spreadsheet reads as the start of a formula (OWASP's CSV injection list,
# and NUL), neutralised as the incident export does.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def report_csv(report):
    """The report as CSV (RFC 4180, UTF-8): the heading lines, then one section per table, each
    with its title, its header row and its rows, sections parted by an empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in heading_lines(report):
        writer.writerow([_cell(line)])
    for table in tables(report):
        writer.writerow([])
        writer.writerow([_cell(table.title)])
        if table.note:
            writer.writerow([_cell(table.note)])
            continue
        writer.writerow([_cell(header) for header in table.headers])
        for row in table.rows:
            writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


# A TrueType font that covers the portal's languages (Debian's fonts-dejavu-core); without one
# the PDF falls back to a built-in Latin-1 font and names lose their diacritics.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/local/share/fonts/dejavu"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


def _font_dir():
    for directory in FONT_DIRS:
        if all((directory / name).is_file() for name in FONT_FILES.values()):
            return directory
    return None


def _latin1(text):
    """Text the built-in PDF fonts can draw: accents dropped, other characters replaced."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return text.encode("latin-1", "replace").decode("latin-1")


def report_pdf(report):
    """The report as a PDF (A4 landscape): the heading, then each section as a table."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    directory = _font_dir()
    if directory is not None:
        for style, name in FONT_FILES.items():
            pdf.add_font("Report", style, str(directory / name))
        family, text = "Report", str
    else:
        family, text = "Helvetica", _latin1
    pdf.set_title(text(heading_lines(report)[0]))
    pdf.set_creator(text(_("Joint Operations Portal")))
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(family, "B", 14)
    lines = heading_lines(report)
    pdf.multi_cell(width, 7, text(lines[0]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    for line in lines[1:-1]:
        pdf.multi_cell(width, 5, text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B" if not report.chain.ok else "", 10)
    if not report.chain.ok:
        pdf.set_text_color(180, 0, 0)
    pdf.multi_cell(width, 5, text(lines[-1]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for table in tables(report):
        pdf.ln(4)
        pdf.set_font(family, "B", 11)
        pdf.multi_cell(width, 6, text(table.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8)
        if table.note:
            pdf.multi_cell(width, 5, text(table.note), new_x="LMARGIN", new_y="NEXT")
            continue
        if not table.rows:
            pdf.multi_cell(width, 5, text(_("None in the period.")), new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(text_align="LEFT", line_height=4.5, headings_style=FontFace(emphasis="BOLD"), padding=1) as grid:
            for values in [table.headers, *table.rows]:
                cells = grid.row()
                for value in values:
                    cells.cell(text("" if value is None else value))
    return bytes(pdf.output())
