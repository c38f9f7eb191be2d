"""Property test: what each country sees equals what a simple model of the sharing rules predicts."""

import datetime

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement, AgreementParty, DataSharingClause
from incidents import selectors, sharing
from incidents.models import Incident
from portal.choices import TLP
from portal.models import Agency, Country
from tests.factories import UserFactory

CODES = ["LT", "PL", "LV"]
CATEGORIES = ["smuggling_goods", "trafficking", "other"]
MARKINGS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]
STATES = ["draft", "signed", "in_force", "suspended", "terminated"]

clauses = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(CODES),
        "receiver": st.sampled_from(CODES),
        "mutual": st.booleans(),
        "categories": st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True),
        "max_marking": st.sampled_from(MARKINGS[:4]),
        "personal_data": st.booleans(),
        "retention_days": st.integers(1, 20),
    }
)
agreements = st.fixed_dictionaries(
    {
        "parties": st.lists(st.sampled_from(CODES), min_size=2, max_size=3, unique=True),
        "state": st.sampled_from(STATES),
        "clauses": st.lists(clauses, min_size=1, max_size=2),
    }
)
incidents = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(CODES),
        "category": st.sampled_from(CATEGORIES),
        "marking": st.sampled_from(MARKINGS),
        "validated": st.booleans(),
        "personal": st.booleans(),
    }
)


def expected(agreement_specs, incident_spec, day):
    """The rules, written plainly: country -> whether personal data is included."""
    owner = incident_spec["owner"]
    seen = {owner: True}
    if not incident_spec["validated"] or incident_spec["marking"] == "RED":
        return seen
    for spec in agreement_specs:
        if spec["state"] != "in_force" or owner not in spec["parties"]:
            continue
        for clause in spec["clauses"]:
            if clause["provider"] not in spec["parties"] or clause["receiver"] not in spec["parties"]:
                continue
            if clause["provider"] == clause["receiver"]:
                continue
            pairs = {(clause["provider"], clause["receiver"])}
            if clause["mutual"]:
                pairs.add((clause["receiver"], clause["provider"]))
            for provider, receiver in pairs:
                if (
                    provider == owner
                    and incident_spec["category"] in clause["categories"]
                    and MARKINGS.index(incident_spec["marking"]) <= MARKINGS.index(clause["max_marking"])
                    and day < clause["retention_days"]
                ):
                    seen[receiver] = seen.get(receiver, False) or clause["personal_data"]
    return seen


@given(agreement_specs=st.lists(agreements, min_size=1, max_size=3), incident_spec=incidents, day=st.integers(0, 25))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_visibility_matches_the_model(db, agreement_specs, incident_spec, day):
    Incident.objects.all().delete()
    DataSharingClause.objects.all().delete()
    Agreement.objects.all().delete()
    countries = {code: Country.objects.get(pk=code) for code in CODES}
    agencies = {
        code: Agency.objects.get_or_create(
            code=f"{code}-BG", defaults={"name": code, "country": countries[code], "kind": "border_guard"}
        )[0]
        for code in CODES
    }
    viewers = {code: UserFactory(username=f"viewer-{code}", agency=agencies[code]) for code in CODES}
    today = timezone.localdate()
    for n, spec in enumerate(agreement_specs):
        agreement = Agreement.objects.create(
            kind="mou",
            reference=f"P/{n}",
            title="t",
            status=spec["state"],
            effective_from=today - datetime.timedelta(days=1),
        )
        for code in spec["parties"]:
            AgreementParty.objects.create(agreement=agreement, country=countries[code], agency=agencies[code])
        for clause in spec["clauses"]:
            if clause["provider"] in spec["parties"] and clause["receiver"] in spec["parties"]:
                DataSharingClause.objects.create(
                    agreement=agreement,
                    provider=countries[clause["provider"]],
                    receiver=countries[clause["receiver"]],
                    mutual=clause["mutual"],
                    categories=clause["categories"],
                    max_marking=clause["max_marking"],
                    personal_data=clause["personal_data"],
                    retention_days=clause["retention_days"],
                    purpose="p",
                )
    owner = incident_spec["owner"]
    incident = Incident.objects.create(
        reference=f"R-{owner}",
        agency=agencies[owner],
        country=countries[owner],
        reporter=viewers[owner],
        status="validated" if incident_spec["validated"] else "submitted",
        category=incident_spec["category"],
        marking=incident_spec["marking"],
        occurred_at=timezone.now(),
        has_personal_data=incident_spec["personal"],
        person_name="P. Erson" if incident_spec["personal"] else "",
    )
    sharing.sync_incident(incident)
    at = timezone.now() + datetime.timedelta(days=day, hours=1)
    if day:
        sharing.revoke_lapsed(now=at)

    model = expected(agreement_specs, incident_spec, day)
    seen = set()
    for code, viewer in viewers.items():
        visible = Incident.objects.visible_to(viewer, at=at).filter(pk=incident.pk).first()
        assert (visible is not None) == (code in model), (code, model)
        if visible is not None:
            seen.add(code)
            shown = selectors.redact(visible).person_name
            assert (shown == incident.person_name) if model[code] else (shown == ""), (code, model)
    # A rule that needs no model: what the code lets see of a TLP:RED incident is its owner alone.
    if incident.marking == TLP.RED:
        assert seen == {owner}, seen
