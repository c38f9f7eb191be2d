"""Hit/no-hit checks of identifiers across countries (Prüm II, Regulation (EU) 2024/982): an
automated search tells the searcher only whether a partner holds a record of an identifier, and
that record's reference; the information itself follows on request, after a person of the holder
decided (a request for information, `exchange.services`).

The rules of a check (`hit_check`):
- Who: officers, supervisors and liaison officers of an agency, and partner systems whose API
  key has the scope `exchange:search`. Each states the purpose of the search (three words at
  least); it is kept with the check.
- What is searched: the keyed digest of the identifier's canonical form (`incidents.identifiers`),
  never its value, in the index `IdentifierDigest`. A value that is not a valid identifier of its
  kind is refused before anything is recorded.
- Which countries: those whose incidents a clause of an agreement in force lets the searcher's
  country check for this kind, at the moment of the search (`hit_no_hit_providers`): an agreement
  suspended, terminated or expired a second before is no basis. The own country is not checked
  (its people search their own incidents with the incident search). The other countries taking
  part in the portal are listed as not checked, which says nothing of what they hold.
- What counts as a hit: an incident of the checked country carrying the identifier that is
  validated, shared or closed: a record its agency stands by. Drafts and incidents still awaiting
  validation (four eyes) are no record yet. An incident marked TLP:RED is never a hit: RED is for
  its named recipients only, and even its existence is not told to another country. Incidents
  filed in an exercise are never a hit either: their identifiers are made up for the exercise.
- What a hit reveals: the holder country and the incident's reference, on every path (page, API,
  notification to the searcher): no category, time, place, description or identifier value.
- What is kept: the check (`HitCheck`: who, from where, when, why, which kind, the digest, the
  countries checked), each hit (`Hit`), one audit entry (kind, countries checked, number of hits;
  never the value). The holder's single point of contact is told of each hit on its data (who
  searched, when, from which agency, for what purpose, and its incident's reference); without one,
  the liaison officers of the agency that filed the incident are.
- How often: at most `HIT_CHECKS_PER_HOUR_PERSON` checks an hour per person and
  `HIT_CHECKS_PER_HOUR_KEY` per API key, counted by django-ratelimit in the portal's cache
  (`CACHE_URL`, shared by the web processes when it is Redis). A check over the limit raises
  `TooManyHitChecks` before anything is recorded; an invalid one does not count.

Reads for the holder: `hits_on_our_data(user)`, the hits of other countries' checks on the user's
country's incidents, for its liaison officers and supervisors.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

from agreements.selectors import hit_no_hit_providers
from exchange.models import Hit, HitCheck, InformationRequest, SinglePointOfContact
from exchange.selectors import is_person
from incidents import identifiers
from incidents.models import IdentifierDigest, IncidentStatus
from portal import audit
from portal.choices import TLP, IdentifierKind
from portal.gate import principal_country_id
from portal.models import Agency, APIScope, Country, User
from portal.services import notify

# The states in which an incident is a record its holder stands by (see the module's docstring).
HIT_STATUSES = (IncidentStatus.VALIDATED, IncidentStatus.SHARED, IncidentStatus.CLOSED)
PURPOSE_MIN_WORDS = 3
PURPOSE_MAX_LENGTH = 1000
# The group of the rate limit's counters in the cache.
LIMIT_GROUP = "exchange.hit_check"


class TooManyHitChecks(Exception):
    """The searcher ran as many checks as an hour allows; `retry_after` seconds until the next."""

    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class HitRef:
    """What the searcher learns of one hit: the holder's reference, and the hit's id (to start a
    request for information from it)."""

    reference: str
    hit_id: int


@dataclass(frozen=True)
class CountryResult:
    country_id: str
    country_name: str
    hits: tuple[HitRef, ...]

    @property
    def hit(self):
        return bool(self.hits)


@dataclass(frozen=True)
class HitCheckResult:
    """A check as its searcher sees it. `identifier` is what was searched for, in canonical form,
    held in memory for the searcher's own answer only (the check keeps its digest)."""

    check: HitCheck
    identifier: identifiers.Identifier
    checked: tuple[CountryResult, ...]
    not_checked: tuple[tuple[str, str], ...]  # (country id, name): no clause allows this kind

    @property
    def hit_count(self):
        return sum(len(result.hits) for result in self.checked)


def may_check(principal):
    """Officers, supervisors and liaison officers of an active agency; partner systems whose key
    has the scope `exchange:search`."""
    if principal_country_id(principal) is None:
        return False
    if not is_person(principal):
        return APIScope.EXCHANGE_SEARCH in principal.api_key.scopes
    return bool(principal.is_officer or principal.is_supervisor or principal.is_liaison)


def may_see_hits_on_our_data(principal):
    """Liaison officers and supervisors of the holder's country (people, not partner systems)."""
    return (
        is_person(principal)
        and principal_country_id(principal) is not None
        and bool(getattr(principal, "is_liaison", False) or getattr(principal, "is_supervisor", False))
    )


def searcher_label(principal):
    if not is_person(principal):
        return str(principal)[:200]
    return (principal.get_full_name() or principal.get_username())[:200]


# --- The search ---------------------------------------------------------------------------------


def hit_lookup(*, country, kind, digest, at=None):
    """The read of a check, with nothing written: the ids of the countries checked (those whose
    clauses let `country` check this kind at `at`) and, for each of them that holds a record,
    its hits, ordered by reference, each as (incident id, reference, agency id). Two queries:
    the clauses, and the index rows of the digest."""
    checked = hit_no_hit_providers(country, kind, at)
    checked.discard(getattr(country, "pk", country))
    found: dict[str, list[tuple[int, str, int]]] = {}
    if checked:
        # The index rows of a digest are few (the incidents that carry that identifier, in any
        # country): read them all by (kind, digest), and keep the records of the checked countries.
        rows = IdentifierDigest.objects.filter(kind=kind, digest=digest).values_list(
            "country_id",
            "incident_id",
            "incident__reference",
            "incident__agency_id",
            "incident__status",
            "incident__marking",
            "incident__exercise_id",
        )
        for holder, incident_id, reference, agency_id, status, marking, exercise_id in sorted(
            rows, key=lambda row: (row[0], row[2])
        ):
            if holder in checked and status in HIT_STATUSES and marking != TLP.RED and exercise_id is None:
                found.setdefault(holder, []).append((incident_id, reference, agency_id))
    return checked, found


def _validated(principal, kind, value, country, purpose):
    """The canonical identifier and the purpose, or a ValidationError naming each wrong field."""
    errors = {}
    purpose = " ".join((purpose or "").split())
    if len(purpose.split()) < PURPOSE_MIN_WORDS:
        errors["purpose"] = _("State the purpose of the search in a few words (three at least).")
    elif len(purpose) > PURPOSE_MAX_LENGTH:
        errors["purpose"] = _("State the purpose in at most %(n)s characters.") % {"n": PURPOSE_MAX_LENGTH}
    identifier = None
    try:
        identifier = identifiers.normalise(kind, value, country or None, region=principal_country_id(principal))
    except ValidationError as exc:
        errors[{"kind": "kind", "country": "country"}.get(exc.code or "", "value")] = exc.messages
    if (
        identifier is not None
        and identifier.country_id
        and not Country.objects.filter(pk=identifier.country_id).exists()
    ):
        errors["country"] = _("No country has the code %(code)s.") % {"code": identifier.country_id}
    if errors:
        raise ValidationError(errors)
    return identifier, purpose


def _limit(principal):
    """Count this check against the searcher's hourly limit; TooManyHitChecks when over it."""
    if is_person(principal):
        who, rate = f"person:{principal.pk}", f"{settings.HIT_CHECKS_PER_HOUR_PERSON}/h"
    else:
        who, rate = f"key:{principal.api_key.pk}", f"{settings.HIT_CHECKS_PER_HOUR_KEY}/h"
    usage = get_usage(None, group=LIMIT_GROUP, key=lambda _group, _request: who, rate=rate, increment=True)
    if usage is not None and usage["should_limit"]:
        # A cache that cannot count (time_left -1) fails closed: try again in a minute.
        raise TooManyHitChecks(retry_after=usage["time_left"] if usage["time_left"] > 0 else 60)


@transaction.atomic
def hit_check(*, actor, kind, value, country=None, purpose, request=None):
    """Check the identifier (`kind`, `value`, and for plates and documents the `country` that
    issued it: a Country or its code) against the incidents of every country whose clauses allow
    it now, for the stated `purpose`; record the check, its hits and the audit entry, and tell
    each holder of a hit. Returns the `HitCheckResult`. Refusals: PermissionDenied (not a
    searcher), ValidationError (invalid identifier or purpose), TooManyHitChecks (over the hourly
    limit); none of them records anything."""
    if not may_check(actor):
        raise PermissionDenied(_("Hit/no-hit checks are run by officers, supervisors and liaison officers."))
    identifier, purpose = _validated(actor, kind, value, getattr(country, "pk", country), purpose)
    _limit(actor)
    now = timezone.now()
    own = principal_country_id(actor)
    digest = identifier.digest()
    checked, found = hit_lookup(country=own, kind=identifier.kind, digest=digest, at=now)
    check = HitCheck.objects.create(
        searching_country_id=own,
        searching_agency_id=actor.agency_id,
        searcher=actor if is_person(actor) else None,
        searcher_label=searcher_label(actor),
        kind=identifier.kind,
        digest=digest,
        purpose=purpose,
        checked_countries=sorted(checked),
        searched_at=now,
    )
    hits = Hit.objects.bulk_create(
        Hit(search=check, holder_country_id=holder, incident_id=incident_id, reference=reference)
        for holder, rows in sorted(found.items())
        for incident_id, reference, _agency_id in rows
    )
    audit.record(
        "exchange.hit_check",
        actor=actor,
        obj=check,
        request=request,
        details={"kind": identifier.kind, "countries_checked": sorted(checked), "hits": len(hits)},
    )
    if hits:
        filed_by = {incident_id: agency_id for rows in found.values() for incident_id, _ref, agency_id in rows}
        _tell_holders(check, hits, agency_name=actor.agency.name, filed_by=filed_by)
    return _result(check, identifier, checked, hits, own)


def _result(check, identifier, checked, hits, own):
    names = dict(Country.objects.filter(pk__in=checked).values_list("pk", "name"))
    by_holder: dict[str, list[HitRef]] = {}
    for hit in hits:
        by_holder.setdefault(hit.holder_country_id, []).append(HitRef(hit.reference, hit.pk))
    results = tuple(
        CountryResult(code, names.get(code, code), tuple(by_holder.get(code, ())))
        for code in sorted(checked, key=lambda code: (names.get(code, code), code))
    )
    participants = (
        Agency.objects.filter(is_active=True)
        .exclude(country_id__in=[own, *checked])
        .values_list("country_id", "country__name")
        .distinct()
        .order_by("country__name")
    )
    return HitCheckResult(check, identifier, results, tuple(participants))


def _holder_contacts(country_id, agency_ids):
    """Who is told of a hit on a country's data: the people of its SPOC who handle requests
    (liaison officers and supervisors); without a SPOC, or with nobody there, the liaison
    officers of the agencies that filed the incidents."""
    spoc_agency = SinglePointOfContact.objects.filter(country_id=country_id).values_list("agency_id", flat=True)
    people = list(
        User.objects.filter(agency_id__in=spoc_agency, is_active=True).filter(
            Q(is_liaison=True) | Q(is_supervisor=True)
        )
    )
    return people or list(User.objects.filter(agency_id__in=agency_ids, is_active=True, is_liaison=True))


def _tell_holders(check, hits, *, agency_name, filed_by):
    """One notification per holder country, naming its incidents that hold the identifier."""
    by_holder: dict[str, list[Hit]] = {}
    for hit in hits:
        by_holder.setdefault(hit.holder_country_id, []).append(hit)
    url = reverse("exchange:hits_ours")
    for holder, held in by_holder.items():
        references = ", ".join(hit.reference for hit in held)
        title = ngettext(
            "Hit/no-hit check by %(country)s: a hit on %(references)s",
            "Hit/no-hit check by %(country)s: hits on %(references)s",
            len(held),
        ) % {"country": check.searching_country_id, "references": references}
        body = _(
            "%(searcher)s of %(agency)s (%(country)s) checked a %(kind)s at %(time)s for this purpose: "
            "%(purpose)s\n\nYour incidents that hold it: %(references)s. The searcher learns only these "
            "references; anything more follows only on a request for information."
        ) % {
            "searcher": check.searcher_label,
            "agency": agency_name,
            "country": check.searching_country_id,
            "kind": IdentifierKind(check.kind).label,
            "time": formats.date_format(timezone.localtime(check.searched_at), "Y-m-d H:i e"),
            "purpose": check.purpose,
            "references": references,
        }
        notify(
            users=_holder_contacts(holder, {filed_by[hit.incident_id] for hit in held}),
            title=title,
            body=body,
            url=url,
        )


# --- What the holder sees ---------------------------------------------------------------------


def hits_on_our_data(principal):
    """Hits of other countries' checks on the principal's country's incidents, newest first, each
    with its check (searcher, agency, country, time, purpose) and `followed`: whether a request
    for information started from it. Empty for anyone but the country's liaison officers and
    supervisors."""
    if not may_see_hits_on_our_data(principal):
        return Hit.objects.none()
    return (
        Hit.objects.filter(holder_country_id=principal_country_id(principal))
        .select_related("search__searching_agency", "search__searching_country", "incident")
        .annotate(followed=Exists(InformationRequest.objects.filter(hit=OuterRef("pk"))))
        .order_by("-id")
    )
