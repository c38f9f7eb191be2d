"""Property test of the sharing rule in time: after any sequence of waiting, suspending,
resuming, terminating, shortening an agreement, re-marking, re-categorising and closing, what
each country sees (and the content of its alerts) equals what a plain model predicts, with no
tidy-up task having run. The model below knows nothing of the code it checks."""

import datetime

from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement, AgreementParty, DataSharingClause
from alerts import selectors as alert_selectors
from incidents import selectors, services, sharing
from incidents.models import Incident
from portal.models import Agency, Country
from tests.factories import UserFactory
from tests.incidents.test_sharing_model import CATEGORIES, CODES, MARKINGS, clauses

agreements = st.fixed_dictionaries(
    {
        "parties": st.lists(st.sampled_from(CODES), min_size=2, max_size=3, unique=True),
        "in_force": st.booleans(),
        "expires_in": st.one_of(st.none(), st.integers(0, 10)),
        "renews": st.booleans(),
        "clauses": st.lists(clauses, min_size=1, max_size=2),
    }
)
incidents = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(CODES),
        "category": st.sampled_from(CATEGORIES),
        "marking": st.sampled_from(MARKINGS),
        "personal": st.booleans(),
    }
)
events = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 6)),
        st.tuples(st.just("suspend"), st.integers(0, 2)),
        st.tuples(st.just("resume"), st.integers(0, 2)),
        st.tuples(st.just("terminate"), st.integers(0, 2)),
        st.tuples(st.just("shorten"), st.integers(0, 2), st.integers(0, 4)),
        st.tuples(st.just("remark"), st.sampled_from(MARKINGS)),
        st.tuples(st.just("recategorise"), st.sampled_from(CATEGORIES)),
        st.tuples(st.just("close")),
    ),
    max_size=6,
)


class Model:
    """The rules, written plainly, in whole days from day 0."""

    def __init__(self, agreement_specs, incident_spec):
        self.agreements = [
            {
                "status": "in_force" if spec["in_force"] else "signed",
                "expires": spec["expires_in"],
                "renews": spec["renews"],
                "parties": spec["parties"],
            }
            for spec in agreement_specs
        ]
        self.clauses = []  # (agreement index, provider, receiver, clause spec)
        for n, spec in enumerate(agreement_specs):
            for clause in spec["clauses"]:
                provider, receiver = clause["provider"], clause["receiver"]
                if provider not in spec["parties"] or receiver not in spec["parties"] or provider == receiver:
                    continue
                self.clauses.append((n, provider, receiver, clause))
                if clause["mutual"]:
                    self.clauses.append((n, receiver, provider, clause))
        self.incident = dict(incident_spec, status="validated")
        self.first = {}  # share key -> the day it was first shared (retention counts from it)
        self.live = set()  # shares in force now

    def in_force(self, n, day):
        agreement = self.agreements[n]
        if agreement["status"] != "in_force":
            return False
        return agreement["expires"] is None or agreement["renews"] or day <= agreement["expires"]

    def covers(self, key, day):
        n, provider, _receiver, clause = self.clauses[key]
        incident = self.incident
        return (
            self.in_force(n, day)
            and provider == incident["owner"]
            and incident["marking"] != "RED"
            and incident["category"] in clause["categories"]
            and MARKINGS.index(incident["marking"]) <= MARKINGS.index(clause["max_marking"])
        )

    def retained(self, key, day):
        return day < self.first.get(key, day) + self.clauses[key][3]["retention_days"]

    def check(self, day):
        """A share ends for good when anything it needs stops holding."""
        self.live = {key for key in self.live if self.covers(key, day) and self.retained(key, day)}

    def share(self, day):
        """The engine runs (a change of the incident, an agreement back in force)."""
        self.check(day)
        if self.incident["status"] != "validated":
            return  # a closed incident keeps what it has and gains nothing
        for key in range(len(self.clauses)):
            if self.covers(key, day) and self.retained(key, day):
                self.first.setdefault(key, day)
                self.live.add(key)

    def seen(self, day):
        """country -> whether it sees personal data."""
        self.check(day)
        seen = {self.incident["owner"]: True}
        for key in self.live:
            receiver, clause = self.clauses[key][2], self.clauses[key][3]
            seen[receiver] = seen.get(receiver, False) or clause["personal_data"]
        return seen


SHORT_MOU = {
    "parties": ["LT", "PL"],
    "in_force": True,
    "expires_in": 1,
    "renews": False,
    "clauses": [
        {
            "provider": "LT",
            "receiver": "PL",
            "mutual": False,
            "categories": ["other"],
            "max_marking": "AMBER",
            "personal_data": True,
            "retention_days": 12,
        }
    ],
}
LT_OTHER = {"owner": "LT", "category": "other", "marking": "GREEN", "personal": True}


@given(agreement_specs=st.lists(agreements, min_size=1, max_size=3), incident_spec=incidents, steps=events)
# The cases that matter most are tried every time, whatever the search draws.
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("wait", 3)])
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("wait", 1), ("shorten", 0, 0), ("wait", 1)])
# An agreement past its end whose expiry date is then moved later: the ended share stays ended.
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("shorten", 0, 0), ("wait", 1), ("shorten", 0, 4)])
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("suspend", 0), ("resume", 0), ("wait", 13)])
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("close",), ("wait", 1), ("wait", 1)])
@example(agreement_specs=[SHORT_MOU], incident_spec=LT_OTHER, steps=[("remark", "RED"), ("remark", "GREEN")])
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_what_each_country_sees_in_time_matches_the_model(db, clock, agreement_specs, incident_spec, steps):
    Incident.objects.all().delete()
    DataSharingClause.objects.all().delete()
    Agreement.objects.all().delete()
    # Noon, so that whole days never straddle a date boundary.
    clock.now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    countries = {code: Country.objects.get(pk=code) for code in CODES}
    agencies = {
        code: Agency.objects.get_or_create(
            code=f"{code}-BG", defaults={"name": code, "country": countries[code], "kind": "border_guard"}
        )[0]
        for code in CODES
    }
    viewers = {code: UserFactory(username=f"viewer-{code}", agency=agencies[code]) for code in CODES}
    owner = incident_spec["owner"]
    chief = UserFactory(username=f"chief-{owner}", agency=agencies[owner], is_supervisor=True)
    rows = []
    for n, spec in enumerate(agreement_specs):
        agreement = Agreement.objects.create(
            kind="mou",
            reference=f"P/{n}",
            title="t",
            status="in_force" if spec["in_force"] else "signed",
            signed_on=today - datetime.timedelta(days=3),
            effective_from=today - datetime.timedelta(days=1),
            expires_on=None if spec["expires_in"] is None else today + datetime.timedelta(days=spec["expires_in"]),
            auto_renewal=spec["renews"],
            renewal_months=12 if spec["renews"] else None,
        )
        rows.append(agreement)
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
    incident = Incident.objects.create(
        reference=f"R-{owner}",
        agency=agencies[owner],
        country=countries[owner],
        reporter=viewers[owner],
        status="validated",
        category=incident_spec["category"],
        marking=incident_spec["marking"],
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        description="What happened",
        has_personal_data=incident_spec["personal"],
        person_name="P. Erson" if incident_spec["personal"] else "",
    )
    sharing.sync_incident(incident)
    model = Model(agreement_specs, incident_spec)
    model.share(0)
    day = 0
    compare(model, day, incident, viewers, "start")
    for step in steps:
        kind = step[0]
        if kind == "wait":
            day += step[1]
            clock.advance(days=step[1])
        elif kind in {"suspend", "resume", "terminate", "shorten"} and step[1] < len(rows):
            agreement, spec = rows[step[1]], model.agreements[step[1]]
            agreement.refresh_from_db()
            if kind == "shorten":
                if spec["status"] not in {"in_force", "suspended"}:
                    continue
                spec["expires"], spec["renews"] = day + step[2], False
                Agreement.objects.filter(pk=agreement.pk).update(
                    expires_on=timezone.localdate() + datetime.timedelta(days=step[2]), auto_renewal=False
                )
                sharing.agreement_changed(agreement.pk)
                # Later dates may put it back in force: the outbox row, taken by a worker.
                sharing.resync_sweep(older_than=0)
                model.share(day)
            else:
                wanted = {"suspend": "suspended", "resume": "in_force", "terminate": "terminated"}[kind]
                allowed = {"suspend": {"in_force"}, "resume": {"suspended"}, "terminate": {"in_force", "suspended"}}
                if spec["status"] not in allowed[kind]:
                    continue
                if kind == "resume" and not (spec["expires"] is None or spec["renews"] or day <= spec["expires"]):
                    continue  # an agreement past its expiry date is not put back in force
                spec["status"] = wanted
                # What the agreement services do: the change and the engine in one transaction.
                Agreement.objects.filter(pk=agreement.pk).update(status=wanted)
                sharing.agreement_changed(agreement.pk)
                if kind == "resume":
                    sharing.resync_sweep(older_than=0)  # the worker that takes the outbox row
                    model.share(day)
        elif kind in {"remark", "recategorise"}:
            if model.incident["status"] != "validated":
                continue
            field = "marking" if kind == "remark" else "category"
            model.incident[field] = step[1]
            services.incident_update(incident=incident, actor=chief, **{field: step[1]})
            model.share(day)
        elif kind == "close":
            if model.incident["status"] != "validated":
                continue
            model.incident["status"] = "closed"
            services.incident_close(incident=incident, actor=chief)
        compare(model, day, incident, viewers, step)


def compare(model, day, incident, viewers, step):
    expected = model.seen(day)
    for code, viewer in viewers.items():
        visible = Incident.objects.visible_to(viewer).filter(pk=incident.pk).first()
        assert (visible is not None) == (code in expected), (step, code, expected)
        if visible is not None:
            shown = selectors.redact(visible).person_name
            assert (shown == incident.person_name) if expected[code] else (shown == ""), (step, code, expected)
        if code == model.incident["owner"]:
            continue
        for alert in alert_selectors.alert_page(viewer, alert_selectors.alerts_for(viewer)):
            content = alert.message["incident"]
            if alert.msg_type == "Cancel" or code not in expected:
                assert content is None, (step, code, alert.msg_type)
                assert alert.message["reason"], (step, code)
            else:
                assert content is not None, (step, code, alert.msg_type)
                # Never personal data it may not see. (An alert stored while it might not keeps
                # none when that right comes back: stored copies were minimised meanwhile.)
                if not (expected[code] and model.incident["personal"]):
                    assert content["person_name"] is None, (step, code)
