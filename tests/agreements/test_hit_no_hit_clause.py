"""Hit/no-hit checks a clause allows: the field, its sentence and export, and the selectors the
exchange asks, evaluated at the moment of the read."""

import datetime
import json
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import services
from agreements.models import DataSharingClause
from agreements.selectors import clause_sentence, hit_no_hit_allowed, hit_no_hit_clauses, hit_no_hit_providers
from portal.models import Country
from tests.conftest import make_verified
from tests.helpers import audit_log

SCHEMA = json.loads((Path(__file__).parent / "iep_2_0.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def countries(db):
    return {code: Country.objects.get(pk=code) for code in ("LT", "PL", "FI")}


def clause(**overrides):
    return {
        "categories": ["smuggling_goods"],
        "max_marking": "AMBER",
        "retention_days": 30,
        "purpose": "Find stolen vehicles",
        "mode": "automatic",
        "personal_data": False,
        **overrides,
    }


@pytest.fixture
def lt_to_pl(make_agreement, countries):
    """An LT-PL agreement in force whose clause lets PL check LT's incidents for plates and VINs."""
    return make_agreement(
        "in_force",
        clause=clause(provider=countries["LT"], receiver=countries["PL"], hit_no_hit_kinds=["plate", "vin"]),
    )


# --- The field ------------------------------------------------------------------------------------


def test_kinds_are_saved_in_one_order_without_repeats(make_agreement, owner_liaison, countries):
    agreement = make_agreement("draft")
    saved = services.clause_save(
        agreement=agreement,
        actor=owner_liaison,
        **clause(provider=countries["LT"], receiver=countries["PL"], hit_no_hit_kinds=["vin", "plate", "vin"]),
    )
    saved.refresh_from_db()
    assert saved.hit_no_hit_kinds == ["plate", "vin"]


def test_a_clause_allows_no_check_unless_it_says_so(make_agreement, owner_liaison, countries):
    saved = services.clause_save(agreement=make_agreement("draft"), actor=owner_liaison, **clause())
    saved.refresh_from_db()
    assert saved.hit_no_hit_kinds == []


@pytest.mark.parametrize("kinds", [["plate", "fingerprint"], "plate", [None]])
def test_an_unknown_kind_is_refused_and_nothing_changes(make_agreement, owner_liaison, countries, kinds):
    agreement = make_agreement("draft", clause=clause(hit_no_hit_kinds=["plate"]))
    existing = agreement.clauses.get()
    entries = audit_log().count()
    with pytest.raises(ValidationError) as refused:
        services.clause_save(
            agreement=agreement, actor=owner_liaison, clause=existing, hit_no_hit_kinds=kinds, retention_days=90
        )
    message = " ".join(refused.value.message_dict["hit_no_hit_kinds"])
    if kinds == ["plate", "fingerprint"]:
        assert "Unknown identifier kind: fingerprint" in message
        assert "plate, vin, document, imo, mmsi, phone" in message
    else:
        assert "Choose the identifier kinds from the list" in message
    existing.refresh_from_db()
    assert existing.hit_no_hit_kinds == ["plate"] and existing.retention_days == 30
    assert audit_log().count() == entries
    with pytest.raises(ValidationError, match="Unknown identifier kind"):
        services.clause_save(agreement=agreement, actor=owner_liaison, **clause(hit_no_hit_kinds=["iris"]))
    assert DataSharingClause.objects.filter(agreement=agreement).count() == 1


def test_the_clause_form_saves_the_kinds_and_refuses_an_unknown_one(make_agreement, verified_client, owner_liaison):
    agreement = make_agreement("draft")
    client = verified_client(owner_liaison)
    url = reverse("agreements:clause_create", args=[agreement.pk])
    post = {**clause(provider="LT", receiver="PL"), "categories": ["smuggling_goods"]}
    refused = client.post(url, {**post, "hit_no_hit_kinds": ["plate", "iris"]})
    assert refused.status_code == 200 and "hit_no_hit_kinds" in refused.context["form"].errors
    assert not DataSharingClause.objects.filter(agreement=agreement).exists()

    assert client.post(url, {**post, "hit_no_hit_kinds": ["imo", "mmsi"]}).status_code == 302
    saved = DataSharingClause.objects.get(agreement=agreement)
    assert saved.hit_no_hit_kinds == ["imo", "mmsi"]
    edit = client.get(reverse("agreements:clause_edit", args=[agreement.pk, saved.pk]))
    assert edit.context["form"]["hit_no_hit_kinds"].value() == ["imo", "mmsi"]
    detail = client.get(reverse("agreements:detail", args=[agreement.pk])).content.decode()
    assert "Hit/no-hit checks: vessel IMO number, vessel MMSI" in detail
    assert "Poland may check Lithuania&#x27;s incidents for a hit on vessel IMO numbers and vessel MMSIs." in detail


def test_the_api_takes_and_gives_the_kinds(make_agreement, owner_liaison):
    agreement = make_agreement("draft")
    client = make_verified(Client(), owner_liaison)
    url = f"/api/v1/agreements/{agreement.pk}/clauses/"
    body = clause(provider="LT", receiver="PL", hit_no_hit_kinds=["phone"])
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["hit_no_hit_kinds"] == ["phone"]
    refused = client.post(url, {**body, "hit_no_hit_kinds": ["iris"]}, content_type="application/json")
    assert refused.status_code == 400 and "hit_no_hit_kinds" in refused.json()["error"]["fields"]
    assert DataSharingClause.objects.filter(agreement=agreement).count() == 1


# --- The sentence and the export --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "ending"),
    [
        ({"provider": "LT", "receiver": "PL"}, "Poland may check Lithuania's incidents for a hit on"),
        (
            {"provider": "LT", "receiver": "PL", "mutual": True},
            "Lithuania and Poland may check each other's incidents for a hit on",
        ),
        ({}, "every party may check the other parties' incidents for a hit on"),
        ({"provider": "LT"}, "every other party may check Lithuania's incidents for a hit on"),
        ({"receiver": "PL"}, "Poland may check every other party's incidents for a hit on"),
        (
            {"provider": "LT", "mutual": True},
            "Lithuania and every other party may check each other's incidents for a hit on",
        ),
    ],
)
def test_the_sentence_says_who_may_check_whose_incidents_for_what(
    make_agreement, owner_liaison, countries, terms, ending
):
    terms = {key: countries[value] if key != "mutual" else value for key, value in terms.items()}
    agreement = make_agreement("draft")
    saved = services.clause_save(
        agreement=agreement, actor=owner_liaison, **clause(**terms, hit_no_hit_kinds=["vin", "plate"])
    )
    assert clause_sentence(saved).endswith(f"; kept 30 days; {ending} vehicle registration plates and VINs.")


def test_the_sentence_in_full_and_unchanged_without_checks(make_agreement, owner_liaison, countries):
    agreement = make_agreement("draft")
    terms = clause(provider=countries["LT"], receiver=countries["PL"])
    plain = services.clause_save(agreement=agreement, actor=owner_liaison, **terms)
    assert clause_sentence(plain) == (
        "Lithuania shares smuggling of goods incidents up to TLP:AMBER with Poland, automatically; "
        "personal data withheld; kept 30 days."
    )
    checks = services.clause_save(
        agreement=agreement, actor=owner_liaison, **terms, hit_no_hit_kinds=["document", "plate", "vin"]
    )
    assert clause_sentence(checks) == (
        "Lithuania shares smuggling of goods incidents up to TLP:AMBER with Poland, automatically; "
        "personal data withheld; kept 30 days; Poland may check Lithuania's incidents for a hit on "
        "vehicle registration plates, VINs and travel or identity document numbers."
    )


def test_the_iep_export_carries_the_kinds_beside_the_policy(lt_to_pl, make_agreement, partner_officer):
    download = make_verified(Client(), partner_officer).get(reverse("agreements:clauses_iep", args=[lt_to_pl.pk]))
    document = json.loads(download.content)
    assert [f"{e.absolute_path}: {e.message}" for e in VALIDATOR.iter_errors(document)] == []
    (entry,) = document["clauses"]
    assert entry["hit_no_hit_kinds"] == ["plate", "vin"]
    assert entry["directions"] == ["LT->PL"]
    assert "hit_no_hit_kinds" not in document["policies"][0]  # IEP 2.0 defines no such statement

    plain = make_agreement("draft", clause=clause())
    download = make_verified(Client(), partner_officer).get(reverse("agreements:clauses_iep", args=[plain.pk]))
    assert json.loads(download.content)["clauses"][0]["hit_no_hit_kinds"] == []
    # The schema knows only the portal's kinds.
    document["clauses"][0]["hit_no_hit_kinds"] = ["iris"]
    assert list(VALIDATOR.iter_errors(document))


# --- The selectors --------------------------------------------------------------------------------


def test_allowed_for_a_listed_kind_in_the_clauses_direction_only(lt_to_pl, countries):
    lt, pl = countries["LT"], countries["PL"]
    assert hit_no_hit_allowed(lt, pl, "plate") and hit_no_hit_allowed("LT", "PL", "vin")
    assert [c.agreement_id for c in hit_no_hit_clauses(lt, pl, "plate")] == [lt_to_pl.pk]
    assert not hit_no_hit_allowed(lt, pl, "document")  # not listed
    assert not hit_no_hit_allowed(lt, pl, "iris")
    assert not hit_no_hit_allowed(pl, lt, "plate")  # one way: LT may not check PL's incidents
    assert not hit_no_hit_allowed(pl, pl, "plate")


def test_a_third_country_is_refused(lt_to_pl, countries):
    for provider, receiver in (("LT", "FI"), ("FI", "PL"), ("PL", "FI"), ("FI", "LT")):
        assert not hit_no_hit_allowed(countries[provider], countries[receiver], "plate")
    assert hit_no_hit_providers(countries["FI"], "plate") == set()


def test_mutual_clause_allows_both_ways(make_agreement, countries):
    make_agreement(
        "in_force",
        clause=clause(provider=countries["LT"], receiver=countries["PL"], mutual=True, hit_no_hit_kinds=["imo"]),
    )
    assert hit_no_hit_allowed(countries["LT"], countries["PL"], "imo")
    assert hit_no_hit_allowed(countries["PL"], countries["LT"], "imo")
    assert not hit_no_hit_allowed(countries["PL"], countries["LT"], "mmsi")


def test_a_clause_of_an_agreement_not_in_force_allows_nothing(make_agreement, countries):
    for status in ("draft", "signed"):
        make_agreement(
            status, clause=clause(provider=countries["LT"], receiver=countries["PL"], hit_no_hit_kinds=["plate"])
        )
    assert not hit_no_hit_allowed(countries["LT"], countries["PL"], "plate")
    assert hit_no_hit_providers(countries["PL"], "plate") == set()


def test_refused_after_the_expiry_date_with_no_task_run(make_agreement, countries, clock):
    expires = timezone.localdate() + datetime.timedelta(days=10)
    agreement = make_agreement(
        "in_force",
        clause=clause(provider=countries["LT"], receiver=countries["PL"], hit_no_hit_kinds=["plate"]),
        expires_on=expires,
    )
    clock.advance(days=10)  # its last day
    assert hit_no_hit_allowed(countries["LT"], countries["PL"], "plate")
    clock.advance(days=1)
    assert not hit_no_hit_allowed(countries["LT"], countries["PL"], "plate")
    assert hit_no_hit_providers(countries["PL"], "plate") == set()
    agreement.refresh_from_db()
    assert agreement.status == "in_force"  # the daily task has not run: the dates alone decide
    # A moment given explicitly is read the same way.
    assert hit_no_hit_allowed(countries["LT"], countries["PL"], "plate", at=clock.now - datetime.timedelta(days=2))
    before = timezone.now() - datetime.timedelta(days=30)  # before the agreement took effect
    assert not hit_no_hit_allowed(countries["LT"], countries["PL"], "plate", at=before)


def test_refused_while_suspended_and_after_termination(lt_to_pl, countries, owner_liaison):
    lt, pl = countries["LT"], countries["PL"]
    services.agreement_transition(agreement=lt_to_pl, to_status="suspended", actor=owner_liaison, reason="Review")
    assert not hit_no_hit_allowed(lt, pl, "plate")
    assert hit_no_hit_providers(pl, "plate") == set()
    services.agreement_transition(agreement=lt_to_pl, to_status="in_force", actor=owner_liaison)
    assert hit_no_hit_allowed(lt, pl, "plate")
    services.agreement_transition(agreement=lt_to_pl, to_status="terminated", actor=owner_liaison, reason="Ended")
    assert not hit_no_hit_allowed(lt, pl, "plate")


def test_providers_of_every_partner_at_once(
    make_agreement, countries, outsider_agency, outsider_liaison, django_assert_num_queries
):
    make_agreement(
        "in_force",
        clause=clause(provider=countries["LT"], receiver=countries["PL"], hit_no_hit_kinds=["plate"]),
    )
    make_agreement(
        "in_force",
        partner=(outsider_agency, outsider_liaison),
        clause=clause(
            provider=countries["FI"], receiver=countries["LT"], mutual=True, hit_no_hit_kinds=["plate", "vin"]
        ),
    )
    with django_assert_num_queries(1):
        assert hit_no_hit_providers(countries["LT"], "plate") == {"FI"}
    assert hit_no_hit_providers("PL", "plate") == {"LT"}
    assert hit_no_hit_providers(countries["FI"], "plate") == {"LT"}
    assert hit_no_hit_providers(countries["LT"], "vin") == {"FI"}
    assert hit_no_hit_providers(countries["PL"], "vin") == set()
    assert hit_no_hit_providers(countries["LT"], "iris") == set()


def test_a_clause_of_every_party_lets_each_check_every_other(
    owner_agency, partner_agency, outsider_agency, owner_liaison, partner_liaison, outsider_liaison, countries
):
    agreement = services.agreement_create(
        parties=[
            (owner_agency, [owner_liaison]),
            (partner_agency, [partner_liaison]),
            (outsider_agency, [outsider_liaison]),
        ],
        actor=owner_liaison,
        kind="mou",
        reference="LT-PL-FI/1",
        title="Three borders",
    )
    # The clause names no provider nor receiver: every party, every other party.
    services.clause_save(agreement=agreement, actor=owner_liaison, **clause(hit_no_hit_kinds=["mmsi"]))
    # In force by status and dates (the lifecycle's own checks are tested elsewhere).
    type(agreement).objects.filter(pk=agreement.pk).update(status="in_force", effective_from=timezone.localdate())
    assert hit_no_hit_providers(countries["PL"], "mmsi") == {"LT", "FI"}
    assert hit_no_hit_allowed(countries["FI"], countries["LT"], "mmsi")
