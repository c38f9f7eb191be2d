"""Shared incidents as STIX 2.1 bundles: the incident, its location, the reporting agency's
identity and the TLP marking definitions. Identifiers are stable, derived from the portal's own."""

import uuid

import stix2

from portal.choices import IncidentCategory

NAMESPACE = uuid.UUID("6f0a3f43-2c44-4f41-9b2a-8e1e7a0b9d10")
TLP_MARKINGS = {
    "CLEAR": stix2.TLP_WHITE,
    "GREEN": stix2.TLP_GREEN,
    "AMBER": stix2.TLP_AMBER,
    "AMBER+STRICT": stix2.TLP_AMBER,
    "RED": stix2.TLP_RED,
}


def _id(kind, key):
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{kind}:{key}')}"


def incident_bundle(incident):
    """The bundle of an incident as the caller may see it (personal data never goes into STIX)."""
    marking = TLP_MARKINGS[incident.marking]
    objects, markings = [], [marking]
    if incident.marking == "AMBER+STRICT":
        strict = stix2.MarkingDefinition(
            id=_id("marking-definition", "tlp-amber-strict"),
            created="2022-08-01T00:00:00.000Z",
            definition_type="statement",
            definition=stix2.StatementMarking("TLP:AMBER+STRICT: the recipient's organisation only."),
        )
        objects.append(strict)
        markings.append(strict)
    agency = incident.agency
    identity = stix2.Identity(
        id=_id("identity", f"agency:{agency.code}"),
        created=incident.created_at,
        modified=incident.created_at,
        name=agency.name,
        identity_class="organization",
        sectors=["government-public-services"],
        contact_information=agency.code,
    )
    label = str(dict(IncidentCategory.choices).get(incident.category, incident.category))
    stix_incident = stix2.Incident(
        id=_id("incident", incident.reference),
        created=incident.created_at,
        modified=incident.updated_at,
        name=f"{'EXERCISE ' if incident.is_exercise else ''}{incident.reference}: {label}",
        description=incident.description or label,
        created_by_ref=identity.id,
        object_marking_refs=[m.id for m in markings],
        labels=[incident.category, f"severity:{incident.severity}", *(["exercise"] if incident.is_exercise else [])],
        external_references=[{"source_name": "joint-operations-portal", "external_id": incident.reference}],
    )
    objects += [identity, stix_incident]
    if incident.latitude is not None:
        location = stix2.Location(
            id=_id("location", incident.reference),
            created=incident.created_at,
            modified=incident.updated_at,
            latitude=float(incident.latitude),
            longitude=float(incident.longitude),
            description=" / ".join(x for x in [incident.border_sector, incident.crossing_point] if x) or None,
            created_by_ref=identity.id,
            object_marking_refs=[m.id for m in markings],
        )
        relationship = stix2.Relationship(
            id=_id("relationship", f"{incident.reference}:located-at"),
            created=incident.created_at,
            modified=incident.updated_at,
            relationship_type="located-at",
            source_ref=stix_incident.id,
            target_ref=location.id,
            created_by_ref=identity.id,
            object_marking_refs=[m.id for m in markings],
        )
        objects += [location, relationship]
    return stix2.Bundle(objects=[marking, *objects], allow_custom=False)
