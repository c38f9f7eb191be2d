"""An agreement's data-sharing clauses as FIRST Information Exchange Policy (IEP) 2.0 JSON.

One IEP 2.0 policy per clause, holding only the statements the IEP 2.0 framework defines, written
with its lower-case enumerations ("must", "must-not", "internally-visible-actions"...):
- `id` is a UUID (version 5) derived from the portal's domain and the clause, so the same clause
  keeps its id from one export to the next; `iep_version` is the number 2.0, in every policy;
- `start_date` and `end_date` are RFC 3339 UTC times: the first moment of the agreement's
  effective day, and the end of its expiry day, in the portal's time zone (the moments the
  sharing engine uses); `end_date` is null while nothing but a decision can end the agreement
  (open-ended, or renewing itself), and the moment of the transition for an agreement that
  expired or was terminated. An agreement without a date of entry into force has no
  `start_date`, and its policies say so in their description;
- `external_references` is an array of URIs: the agreement's page on the portal.

TLP. IEP 2.0 names the four TLP 1.0 values ("white", "green", "amber", "red"); clauses use TLP 2.0:
- TLP:CLEAR is written "white": TLP 2.0 renamed WHITE to CLEAR without changing what it allows;
- TLP:AMBER+STRICT is written "amber", the nearest value IEP 2.0 has, which does not carry the
  restriction to the recipient's own organisation. So that no recipient loses it, the policy's
  description states TLP:AMBER+STRICT and what it means, and the clause's terms beside the
  policies keep the marking exactly (`max_marking`);
- TLP:RED is never shared by a clause, so it never appears.

Terms IEP 2.0 has no statement for (directions, incident categories, personal data, retention,
automatic or on-request sharing, hit/no-hit checks) are not added to the policies: they follow
them in `clauses`, one entry per policy, linked by an IEP 2.0 policy reference (`id_ref`). No
country is repeated in a list of countries.

Hit/no-hit. IEP 2.0 has no statement for a check that answers only whether the provider holds
an identifier: `hit_no_hit_kinds` in the clause's entry lists the identifier kinds (the portal's
values: "plate", "vin", "document", "imo", "mmsi", "phone") each receiver may check against its
provider's incidents, along the clause's `directions`; empty when the clause allows none.
"""

import datetime
import uuid

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agreements.models import FINAL_STATES
from portal.choices import TLP

IEP_VERSION = 2.0
IEP_TLP = {TLP.CLEAR: "white", TLP.GREEN: "green", TLP.AMBER: "amber", TLP.AMBER_STRICT: "amber"}
# What every clause of the portal states: recipients re-send the information encrypted, act on
# it inside their own service, may warn those it concerns, may name the provider, never sell it.
ENCRYPT_IN_TRANSIT = "must"
PERMITTED_ACTIONS = "internally-visible-actions"
AFFECTED_PARTY_NOTIFICATIONS = "may"
ATTRIBUTION = "may"
UNMODIFIED_RESALE = "must-not"
STRICT_NOTE = (
    "Highest marking shared: TLP:AMBER+STRICT (IEP 2.0 has no such value; tlp says amber): "
    "recipients share the information only within their own organisation."
)
NOT_IN_FORCE_NOTE = "The agreement has no date of entry into force yet, so this policy has no start date."


def _utc(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _start(agreement):
    """The first moment of the agreement's effective day in the portal's time zone, or None."""
    if agreement.effective_from is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(agreement.effective_from, datetime.time.min))


def _end(agreement):
    """When the agreement stops being in force: by its dates, or by the transition that ended it."""
    ends = agreement.force_ends_at()
    if agreement.status in FINAL_STATES:
        ended = agreement.events.filter(to_status=agreement.status).order_by("-at").values_list("at", flat=True).first()
        if ended is not None and (ends is None or ended < ends):
            ends = ended
    return ends


def _agreement_url(agreement):
    return f"https://{settings.PORTAL_DOMAIN}{reverse('agreements:detail', args=[agreement.pk])}"


def policy_id(clause):
    """The clause's IEP policy id: the same for the same clause of the same portal."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://{settings.PORTAL_DOMAIN}/agreements/clauses/{clause.pk}"))


def clauses_as_iep(agreement):
    """The agreement's clauses as FIRST IEP 2.0 policies, with the terms IEP cannot state beside
    them in `clauses`. TLP:CLEAR is written "white" (its TLP 1.0 name, which IEP 2.0 uses), and
    TLP:AMBER+STRICT "amber" (IEP 2.0 has nothing stricter short of "red"), the policy's
    description and the clause's `max_marking` stating TLP:AMBER+STRICT; dates as the module says."""
    parties = [party.country for party in agreement.parties.all()]
    start, end, url = _start(agreement), _end(agreement), _agreement_url(agreement)
    policies, clauses = [], []
    for clause in agreement.clauses.all():
        ident = policy_id(clause)
        description = [clause.purpose]
        if clause.max_marking == TLP.AMBER_STRICT:
            description.append(STRICT_NOTE)
        if start is None:
            description.append(NOT_IN_FORCE_NOTE)
        policy = {
            "id": ident,
            "name": f"{agreement.reference} clause {clause.pk}",
            "description": " ".join(part for part in description if part),
            "iep_version": IEP_VERSION,
        }
        if start is not None:
            policy["start_date"] = _utc(start)
        policy |= {
            "end_date": _utc(end) if end is not None else None,
            "encrypt_in_transit": ENCRYPT_IN_TRANSIT,
            "permitted_actions": PERMITTED_ACTIONS,
            "affected_party_notifications": AFFECTED_PARTY_NOTIFICATIONS,
            "tlp": IEP_TLP[TLP(clause.max_marking)],
            "attribution": ATTRIBUTION,
            "unmodified_resale": UNMODIFIED_RESALE,
            "external_references": [url],
        }
        policies.append(policy)
        directions = clause.directions(parties)
        clauses.append(
            {
                "policy": {"id_ref": ident, "iep_version": IEP_VERSION},
                "clause": clause.pk,
                "max_marking": clause.max_marking,
                "providers": sorted({provider.code for provider, _receiver in directions}),
                "receivers": sorted({receiver.code for _provider, receiver in directions}),
                "directions": sorted(f"{provider.code}->{receiver.code}" for provider, receiver in directions),
                "incident_categories": list(dict.fromkeys(clause.categories)),
                "personal_data": clause.personal_data,
                "retention_days": clause.retention_days,
                "sharing": clause.mode,
                "hit_no_hit_kinds": list(dict.fromkeys(clause.hit_no_hit_kinds)),
            }
        )
    return {
        "iep_version": IEP_VERSION,
        "agreement": {
            "reference": agreement.reference,
            "title": agreement.title,
            "version": agreement.version,
            "status": agreement.status,
            "parties": sorted({country.code for country in parties}),
            "url": url,
        },
        "policies": policies,
        "clauses": clauses,
    }
