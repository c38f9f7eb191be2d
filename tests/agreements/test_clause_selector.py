"""The selector the sharing engine calls: which clauses allow a share, and on what terms."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import services
from agreements.models import DataSharingClause
from agreements.selectors import clauses_allowing
from portal.choices import TLP, IncidentCategory
from portal.models import Country

TODAY = timezone.localdate()


@pytest.fixture
def countries(db):
    return {code: Country.objects.get(pk=code) for code in ("LT", "PL", "FI")}


def clause(**overrides):
    return {
        "categories": ["smuggling_goods"],
        "max_marking": "AMBER",
        "retention_days": 30,
        "purpose": "p",
        "mode": "automatic",
        "personal_data": False,
        **overrides,
    }


def test_one_way_clause_allows_only_its_direction(make_agreement, countries):
    make_agreement("in_force", clause=clause(provider=countries["PL"], receiver=countries["LT"]))
    allowed = clauses_allowing(
        provider=countries["PL"], receiver=countries["LT"], category="smuggling_goods", marking="GREEN"
    )
    assert len(allowed) == 1
    assert allowed[0].retention_days == 30 and allowed[0].automatic and not allowed[0].personal_data
    assert (
        clauses_allowing(
            provider=countries["LT"], receiver=countries["PL"], category="smuggling_goods", marking="GREEN"
        )
        == []
    )


def test_mutual_clause_allows_both_ways(make_agreement, countries):
    make_agreement("in_force", clause=clause(provider=countries["PL"], receiver=countries["LT"], mutual=True))
    for provider, receiver in (("PL", "LT"), ("LT", "PL")):
        assert clauses_allowing(
            provider=countries[provider], receiver=countries[receiver], category="smuggling_goods", marking="AMBER"
        )


def test_non_party_never_receives(make_agreement, countries):
    make_agreement("in_force", clause=clause())
    assert (
        clauses_allowing(
            provider=countries["LT"], receiver=countries["FI"], category="smuggling_goods", marking="CLEAR"
        )
        == []
    )


@pytest.mark.parametrize(
    ("marking", "allowed"), [("CLEAR", True), ("GREEN", True), ("AMBER", True), ("AMBER+STRICT", False), ("RED", False)]
)
def test_markings_up_to_the_clause_limit(make_agreement, countries, marking, allowed):
    make_agreement("in_force", clause=clause())
    result = clauses_allowing(
        provider=countries["LT"], receiver=countries["PL"], category="smuggling_goods", marking=marking
    )
    assert bool(result) is allowed


def test_category_must_be_covered(make_agreement, countries):
    make_agreement("in_force", clause=clause())
    assert (
        clauses_allowing(provider=countries["LT"], receiver=countries["PL"], category="trafficking", marking="GREEN")
        == []
    )


@pytest.mark.parametrize("status", ["draft", "negotiation", "signed"])
def test_agreements_not_in_force_allow_nothing(make_agreement, countries, status):
    make_agreement(status, clause=clause())
    assert (
        clauses_allowing(
            provider=countries["LT"], receiver=countries["PL"], category="smuggling_goods", marking="GREEN"
        )
        == []
    )


def test_suspended_agreement_allows_nothing(make_agreement, countries, owner_liaison):
    agreement = make_agreement("in_force", clause=clause())
    services.agreement_transition(agreement=agreement, to_status="suspended", actor=owner_liaison, reason="r")
    assert (
        clauses_allowing(
            provider=countries["LT"], receiver=countries["PL"], category="smuggling_goods", marking="GREEN"
        )
        == []
    )


def test_dates_bound_the_clause(make_agreement, countries):
    make_agreement("in_force", clause=clause(), expires_on=TODAY + datetime.timedelta(days=10))
    args = {"provider": countries["LT"], "receiver": countries["PL"], "category": "smuggling_goods", "marking": "GREEN"}
    noon = datetime.time(12, tzinfo=datetime.UTC)
    assert clauses_allowing(**args, at=datetime.datetime.combine(TODAY, noon))
    assert clauses_allowing(**args, at=datetime.datetime.combine(TODAY + datetime.timedelta(days=10), noon))
    assert not clauses_allowing(**args, at=datetime.datetime.combine(TODAY + datetime.timedelta(days=11), noon))
    assert not clauses_allowing(**args, at=datetime.datetime.combine(TODAY - datetime.timedelta(days=6), noon))


def test_on_request_clause_is_reported_as_such(make_agreement, countries):
    make_agreement("in_force", clause=clause(mode="on_request", personal_data=True, retention_days=90))
    (basis,) = clauses_allowing(
        provider=countries["LT"], receiver=countries["PL"], category="smuggling_goods", marking="GREEN"
    )
    assert not basis.automatic and basis.personal_data and basis.retention_days == 90


@given(
    categories=st.lists(st.sampled_from(IncidentCategory.values), min_size=1, unique=True),
    max_marking=st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]),
    category=st.sampled_from(IncidentCategory.values),
    marking=st.sampled_from(TLP.values),
    mutual=st.booleans(),
    direction=st.sampled_from([("LT", "PL"), ("PL", "LT")]),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_selector_agrees_with_the_rule(
    make_agreement, countries, categories, max_marking, category, marking, mutual, direction
):
    DataSharingClause.objects.all().delete()
    agreement = make_agreement("draft")
    DataSharingClause.objects.create(
        agreement=agreement,
        provider=countries["LT"],
        receiver=countries["PL"],
        mutual=mutual,
        categories=categories,
        max_marking=max_marking,
        retention_days=10,
        purpose="p",
    )
    agreement.status, agreement.effective_from = "in_force", TODAY
    agreement.save()
    provider, receiver = direction
    expected = (
        category in categories
        and marking != "RED"
        and TLP.rank(marking) <= TLP.rank(max_marking)
        and (direction == ("LT", "PL") or mutual)
    )
    result = clauses_allowing(
        provider=countries[provider], receiver=countries[receiver], category=category, marking=marking
    )
    assert bool(result) is expected
