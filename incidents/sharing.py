"""The sharing engine: the one module that decides which countries receive an incident.

Grants follow the clauses of agreements in force (`agreements.selectors.clauses_allowing`).
Each grant is a `ShareGrant` row (the ledger), a guardian object permission for the receiving
country's group, and a row of the visibility index that list reads use; all three change in
the same transaction.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.selectors import clauses_allowing
from incidents import alerts
from incidents.models import AlertType, Incident, IncidentStatus, IncidentVisibility, ShareGrant
from portal import audit, gate
from portal.choices import TLP
from portal.models import Country


def _candidate_countries(incident):
    """Countries that are parties, with the owner, to some agreement in force."""
    from agreements.models import AgreementParty, AgreementStatus

    agreements = AgreementParty.objects.filter(
        country_id=incident.country_id, agreement__status=AgreementStatus.IN_FORCE
    ).values("agreement_id")
    country_ids = (
        AgreementParty.objects.filter(agreement_id__in=agreements)
        .exclude(country_id=incident.country_id)
        .values_list("country_id", flat=True)
        .distinct()
    )
    return Country.objects.filter(pk__in=list(country_ids))


def _still_allowed(grant, incident, now):
    """Whether the grant's clause still allows this share today."""
    if not incident.is_shareable_status or incident.marking == TLP.RED:
        return False
    bases = clauses_allowing(
        provider=incident.country, receiver=grant.country, category=incident.category, marking=incident.marking, at=now
    )
    return any(basis.clause.pk == grant.clause_id for basis in bases)


def _revoke(grant, reason, now, actor=None):
    grant.revoked_at = now
    grant.revoked_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_reason"])
    audit.record(
        "incident.share_revoked",
        actor=actor,
        obj=grant.incident,
        agency=grant.incident.agency,
        actor_label=None if actor else "sharing engine",
        details={"country": grant.country_id, "clause": grant.clause_id, "reason": reason},
    )


def _retention_end(incident, basis, country, now):
    """Retention runs from the first share under a clause: a share that was revoked and comes
    back (an agreement suspended and restored) keeps its original end, and one whose retention
    ran out does not come back."""
    first = (
        ShareGrant.objects.filter(incident=incident, country=country, clause=basis.clause)
        .order_by("granted_at")
        .values_list("granted_at", flat=True)
        .first()
    )
    return (first or now) + datetime.timedelta(days=basis.retention_days)


def _grant(incident, basis, country, now, actor=None, on_request=False):
    expires_at = _retention_end(incident, basis, country, now)
    if expires_at <= now:
        return None
    grant = ShareGrant.objects.create(
        incident=incident,
        country=country,
        clause=basis.clause,
        personal_data=basis.personal_data,
        on_request=on_request,
        granted_by=actor,
        granted_at=now,
        expires_at=expires_at,
    )
    audit.record(
        "incident.shared",
        actor=actor,
        obj=incident,
        agency=incident.agency,
        actor_label=None if actor else "sharing engine",
        details={
            "country": country.pk,
            "clause": basis.clause.pk,
            "personal_data": basis.personal_data,
            "expires_at": grant.expires_at.isoformat(),
            "on_request": on_request,
        },
    )
    return grant


def refresh_visibility(incident, now=None, changed=False):
    """Rebuild the incident's index rows and guardian permissions from its active grants, and
    write the alerts this causes: Alert to a country that starts seeing it, Cancel to one that
    stops, Update to those that keep seeing it when `changed`."""
    now = now or timezone.now()
    rows = {incident.country_id: {"expires_at": None, "personal_data": True, "is_owner": True}}
    for grant in incident.grants.filter(revoked_at__isnull=True, expires_at__gt=now):
        row = rows.setdefault(
            grant.country_id, {"expires_at": grant.expires_at, "personal_data": False, "is_owner": False}
        )
        if not row["is_owner"]:
            row["expires_at"] = max(row["expires_at"], grant.expires_at)
            row["personal_data"] = row["personal_data"] or grant.personal_data
    before = set(
        IncidentVisibility.objects.filter(incident=incident, is_owner=False).values_list("country_id", flat=True)
    )
    IncidentVisibility.objects.filter(incident=incident).exclude(country_id__in=rows).delete()
    for country_id, values in rows.items():
        IncidentVisibility.objects.update_or_create(
            incident=incident, country_id=country_id, defaults={**values, "occurred_at": incident.occurred_at}
        )
    gate.share_with_countries(incident, Country.objects.filter(pk__in=rows))
    after = {c for c, values in rows.items() if not values["is_owner"]}
    for country in Country.objects.filter(pk__in=before | after):
        if country.pk in after and country.pk not in before:
            msg_type = AlertType.ALERT
        elif country.pk in before and country.pk not in after:
            msg_type = AlertType.CANCEL
        elif changed:
            msg_type = AlertType.UPDATE
        else:
            continue
        alerts.alert_create(
            incident=incident,
            country=country,
            msg_type=msg_type,
            personal_data=rows.get(country.pk, {}).get("personal_data", False),
            now=now,
        )


@transaction.atomic
def sync_incident(incident, *, now=None, actor=None, changed=False):
    """Bring an incident's grants in line with the clauses in force: revoke what no clause allows
    any more, grant what automatic clauses allow and is not granted yet. Safe to run again."""
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    for grant in incident.grants.filter(revoked_at__isnull=True).select_related("country"):
        if grant.expires_at <= now:
            _revoke(grant, _("Retention period ended."), now)
        elif not _still_allowed(grant, incident, now):
            _revoke(grant, _("No clause in force allows this share any more."), now)
    if incident.is_shareable_status and incident.marking != TLP.RED:
        granted = set(incident.grants.filter(revoked_at__isnull=True).values_list("country_id", "clause_id"))
        for country in _candidate_countries(incident):
            for basis in clauses_allowing(
                provider=incident.country,
                receiver=country,
                category=incident.category,
                marking=incident.marking,
                at=now,
            ):
                if basis.automatic and (country.pk, basis.clause.pk) not in granted:
                    _grant(incident, basis, country, now, actor=actor)
    if incident.status == IncidentStatus.VALIDATED and incident.grants.filter(revoked_at__isnull=True).exists():
        incident.status = IncidentStatus.SHARED
        incident.save(update_fields=["status", "updated_at"])
    refresh_visibility(incident, now, changed=changed)
    return incident


def share_options(incident, now=None):
    """Partner countries an officer may share this incident with on request, with their clause."""
    if not incident.is_shareable_status or incident.marking == TLP.RED:
        return []
    now = now or timezone.now()
    active = set(incident.grants.filter(revoked_at__isnull=True).values_list("country_id", flat=True))
    options = []
    for country in _candidate_countries(incident):
        if country.pk in active:
            continue
        bases = clauses_allowing(
            provider=incident.country, receiver=country, category=incident.category, marking=incident.marking, at=now
        )
        if bases:
            options.append((country, bases[0]))
    return options


@transaction.atomic
def share_on_request(incident, country, *, actor, now=None):
    """An officer's explicit share with one partner; only where a clause allows it."""
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    for option_country, basis in share_options(incident, now):
        if option_country.pk == country.pk:
            grant = _grant(incident, basis, country, now, actor=actor, on_request=True)
            if grant is None:
                break
            if incident.status == IncidentStatus.VALIDATED:
                incident.status = IncidentStatus.SHARED
                incident.save(update_fields=["status", "updated_at"])
            refresh_visibility(incident, now)
            return grant
    raise ValidationError(
        _("No clause of an agreement in force allows sharing this incident with %(country)s.") % {"country": country}
    )


def revoke_lapsed(now=None):
    """Revoke grants whose retention ended or whose clause no longer allows them (beat task).
    Running it twice changes nothing the second time."""
    now = now or timezone.now()
    incident_ids = set(
        ShareGrant.objects.filter(revoked_at__isnull=True, expires_at__lte=now).values_list("incident_id", flat=True)
    )
    from agreements.models import AgreementStatus

    incident_ids |= set(
        ShareGrant.objects.filter(revoked_at__isnull=True)
        .exclude(clause__agreement__status=AgreementStatus.IN_FORCE)
        .values_list("incident_id", flat=True)
    )
    for incident in Incident.objects.filter(pk__in=incident_ids):
        sync_incident(incident, now=now)
    return len(incident_ids)


def incidents_affected_by_agreement(agreement_id):
    """Incidents whose sharing may change when this agreement changes state."""
    from agreements.models import AgreementParty

    countries = AgreementParty.objects.filter(agreement_id=agreement_id).values("country_id")
    granted = ShareGrant.objects.filter(clause__agreement_id=agreement_id, revoked_at__isnull=True).values(
        "incident_id"
    )
    return Incident.objects.filter(
        status__in=[IncidentStatus.VALIDATED, IncidentStatus.SHARED], country_id__in=countries
    ) | Incident.objects.filter(pk__in=granted)
