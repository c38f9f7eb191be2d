"""The sharing engine: the writes that decide which countries receive an incident.

Grants follow the clauses of agreements in force (`agreements.selectors.clauses_allowing`).
Each grant is a `ShareGrant` row (the ledger); what the grants of a country add up to is one row
of the visibility index, which is the guardian object permission of that country's group and
what every read goes through. Both change in the same transaction, together with the alerts
the change causes. What a grant means at the moment of a read (its window in time, the fields
it opens) is `incidents.access`.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.selectors import clauses_allowing
from alerts.models import Alert, AlertDelivery, AlertType, CancelReason
from alerts.services import alert_create
from alerts.services import cancel as cancel_deliveries
from incidents import access, live
from incidents.models import (
    Incident,
    IncidentStatus,
    IncidentVisibility,
    ShareEnd,
    ShareGrant,
    SharingResync,
)
from portal import audit
from portal.models import Country
from portal.outbox import enqueue_on_commit
from portal.services import country_group


def _candidate_countries(incident):
    """Countries that are parties, with the owner, to some agreement in force."""
    from agreements.models import AgreementParty, in_force_q

    agreements = AgreementParty.objects.filter(
        in_force_q(timezone.localdate(), prefix="agreement__"), country_id=incident.country_id
    ).values("agreement_id")
    country_ids = (
        AgreementParty.objects.filter(agreement_id__in=agreements)
        .exclude(country_id=incident.country_id)
        .values_list("country_id", flat=True)
        .distinct()
    )
    return Country.objects.filter(pk__in=list(country_ids))


def _revoke(grant, reason, now, actor=None):
    grant.revoked_at = now
    grant.end_reason = reason
    grant.revoked_reason = str(ShareEnd(reason).label)[:200]
    grant.save(update_fields=["revoked_at", "revoked_reason", "end_reason"])
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
    grant.valid_until = access.grant_valid_until(grant, now)
    grant.save(update_fields=["valid_until"])
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
    write what this causes, in the caller's transaction: an Alert to a country that starts
    seeing it, a Cancel (with no content) to one that stops, an Update to those that keep
    seeing it when `changed`; deliveries not yet sent to a country that stopped are cancelled,
    and stored alerts lose the personal data their receiver may no longer see."""
    now = now or timezone.now()
    grants = list(incident.grants.filter(revoked_at__isnull=True).select_related("clause__agreement"))
    for grant in grants:  # each grant's end as computed now; once passed, it stays the end
        until = access.grant_valid_until(grant, now)
        if grant.valid_until != until:
            grant.valid_until = until
            grant.save(update_fields=["valid_until"])
    rows = access.index_rows(incident, now, grants)
    index = IncidentVisibility.objects.filter(content_object=incident)
    # Whether each partner's window was still open: one that ended in time is no longer seen.
    was_open = {
        country_id: access.open_at(until, now)
        for country_id, until in index.filter(is_owner=False).values_list("country_id", "expires_at")
    }
    before = set(was_open)
    index.exclude(country_id__in=rows).delete()
    permission_id = view_incident_permission_id()
    for country in Country.objects.filter(pk__in=rows):
        IncidentVisibility.objects.update_or_create(
            content_object=incident,
            country=country,
            defaults={
                **rows[country.pk],
                "occurred_at": incident.occurred_at,
                "group": country_group(country),
                "permission_id": permission_id,
            },
        )
    after = {c for c, values in rows.items() if not values["is_owner"]}
    for country in Country.objects.filter(pk__in=before | after):
        personal = bool(rows.get(country.pk, {}).get("personal_data"))
        if country.pk in after and not was_open.get(country.pk):
            if country.pk in before:  # its share ended in time: that end is announced first
                _share_ended(incident, country, now)
            alert_create(incident=incident, country=country, msg_type=AlertType.ALERT, personal_data=personal, now=now)
        elif country.pk in before and country.pk not in after:
            _share_ended(incident, country, now)
        elif changed:
            alert_create(incident=incident, country=country, msg_type=AlertType.UPDATE, personal_data=personal, now=now)
        if not personal:
            _scrub_personal_data(incident, country.pk)
    live.visibility_changed(incident, was_open=was_open, after=after, changed=changed, now=now)


def view_incident_permission_id():
    """The `view_incident` permission the index rows grant."""
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="incidents", codename="view_incident").pk


def _share_ended(incident, country, now):
    """A country stopped seeing the incident: what was not sent yet is not sent, and a Cancel
    says so with references and a reason code only."""
    cancel_deliveries(
        AlertDelivery.objects.filter(alert__incident=incident, alert__country=country).exclude(
            alert__msg_type=AlertType.CANCEL
        ),
        CancelReason.SHARE_ENDED,
    )
    alert_create(
        incident=incident,
        country=country,
        msg_type=AlertType.CANCEL,
        personal_data=False,
        now=now,
        reason=access.share_end_reason(incident.pk, country.pk, now),
    )


def _scrub_personal_data(incident, country_id):
    """Data minimisation: alerts kept for a country hold no personal data it may not see."""
    for alert in Alert.objects.filter(incident=incident, country_id=country_id).exclude(msg_type=AlertType.CANCEL):
        if access.has_stored_personal_data(alert.payload):
            alert.payload = access.without_personal_data(alert.payload)
            alert.save(update_fields=["payload"])


@transaction.atomic
def sync_incident(incident, *, now=None, actor=None, changed=False):
    """Bring an incident's grants in line with the clauses in force: revoke what no clause allows
    any more, grant what automatic clauses allow and is not granted yet. Safe to run again."""
    now = now or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    for grant in incident.grants.filter(revoked_at__isnull=True).select_related("country", "clause__agreement"):
        ended = access.grant_end(grant, incident, now)
        if ended is not None:
            _revoke(grant, ended, now)
    if incident.may_gain_shares:
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
    if not incident.may_gain_shares:
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
    """Tidy-up (beat): revoke in the ledger the grants that ended in time (retention run out,
    agreement past its expiry date or out of force), and send their Cancels. Reads do not wait
    for it: the index already ends them. Running it twice changes nothing the second time."""
    from agreements.models import in_force_q

    now = now or timezone.now()
    active = ShareGrant.objects.filter(revoked_at__isnull=True)
    incident_ids = set(active.filter(expires_at__lte=now).values_list("incident_id", flat=True))
    incident_ids |= set(active.filter(valid_until__lte=now).values_list("incident_id", flat=True))
    incident_ids |= set(
        active.exclude(in_force_q(timezone.localdate(now), prefix="clause__agreement__")).values_list(
            "incident_id", flat=True
        )
    )
    for incident in Incident.objects.filter(pk__in=incident_ids):
        sync_incident(incident, now=now)
    return len(incident_ids)


def narrow_for_agreement(agreement_id, now=None):
    """An agreement changed (status, dates): bring every incident it is a basis for in line
    with it now, inside the caller's transaction, so that no read after the commit sees a share
    it no longer allows."""
    now = now or timezone.now()
    granted = ShareGrant.objects.filter(clause__agreement_id=agreement_id, revoked_at__isnull=True)
    count = 0
    for incident in Incident.objects.filter(pk__in=granted.values("incident_id")).order_by("pk"):
        sync_incident(incident, now=now)
        count += 1
    return count


def agreement_changed(agreement_id, now=None):
    """An agreement changed in a way that can alter sharing (inside its transaction): narrow
    now, and queue the widening (new shares of an agreement in force) in the outbox."""
    from agreements.models import Agreement

    now = now or timezone.now()
    narrow_for_agreement(agreement_id, now)
    agreement = Agreement.objects.get(pk=agreement_id)
    if agreement.in_force_on(timezone.localdate(now)):
        resync = SharingResync.objects.create(agreement_id=agreement_id, requested_at=now)
        # Sent at commit; if the broker is down, the sweeper takes the row later.
        enqueue_on_commit("incidents.tasks.resync_for_agreement", resync.pk)


def resync_run(resync_id, now=None):
    """Work off one outbox row: share what the agreement now allows. Idempotent."""
    claimed = SharingResync.objects.filter(pk=resync_id, done_at__isnull=True).first()
    if claimed is None:
        return 0
    count = 0
    for incident in incidents_affected_by_agreement(claimed.agreement_id).distinct().order_by("pk"):
        sync_incident(incident, now=now)
        count += 1
    SharingResync.objects.filter(pk=resync_id).update(done_at=timezone.now())
    return count


def resync_sweep(older_than=60, now=None):
    """Beat: the outbox rows no worker took (broker down at commit, worker lost)."""
    now = now or timezone.now()
    pending = SharingResync.objects.filter(
        done_at__isnull=True, requested_at__lte=now - datetime.timedelta(seconds=older_than)
    ).values_list("pk", flat=True)
    count = 0
    for resync_id in list(pending[:100]):
        count += resync_run(resync_id, now=now)
    return count


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
