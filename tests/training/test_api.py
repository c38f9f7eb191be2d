"""The training API: scoped keys, the gate, the schema."""

from django.urls import reverse

from portal.models import APIScope


def get(client, name, raw, *args, **params):
    return client.get(reverse(name, args=args), params, HTTP_AUTHORIZATION=f"Api-Key {raw}")


def test_partner_system_reads_patrols_and_exercises_it_takes_part_in(
    plan_patrol, plan_exercise, api_key, client, partner_agency
):
    patrol = plan_patrol()
    exercise = plan_exercise()
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=partner_agency)
    listing = get(client, "api_patrol_list", raw).json()
    assert [row["title"] for row in listing["results"]] == [patrol.title]
    detail = get(client, "api_patrol_detail", raw, patrol.pk).json()
    assert detail["route"]["type"] == "LineString"
    assert {p["agency"] for p in detail["participants"]} == {"LT-SBGS", "PL-SG"}
    exercises = get(client, "api_exercise_list", raw, scenario="search_rescue").json()
    assert exercises["results"][0]["is_exercise"] is True
    assert get(client, "api_exercise_detail", raw, exercise.pk).json()["objectives"][0]["text"]
    assert get(client, "api_patrol_list", raw, status="cancelled").json()["count"] == 0


def test_outsider_system_gets_404_and_empty_lists(plan_patrol, plan_exercise, api_key, client, outsider_agency):
    patrol = plan_patrol()
    exercise = plan_exercise()
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=outsider_agency)
    assert get(client, "api_patrol_list", raw).json()["count"] == 0
    assert get(client, "api_exercise_list", raw).json()["count"] == 0
    assert get(client, "api_patrol_detail", raw, patrol.pk).status_code == 404
    assert get(client, "api_exercise_detail", raw, exercise.pk).status_code == 404


def test_a_key_without_the_scope_is_refused(plan_patrol, api_key, client, partner_agency):
    plan_patrol()
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ], agency=partner_agency)
    assert get(client, "api_patrol_list", raw).status_code == 403


def test_bad_filters_get_a_clear_error(api_key, client, partner_agency):
    _key, raw = api_key(scopes=[APIScope.TRAINING_READ], agency=partner_agency)
    response = get(client, "api_patrol_list", raw, status="sailing", since="yesterday")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"status", "since"}


def test_the_schema_lists_the_training_endpoints(client, officer, verified_client):
    schema = verified_client(officer).get(reverse("api_schema"), HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/patrols/", "/api/v1/exercises/", "/api/v1/programmes/", "/api/v1/patrols/{id}/"):
        assert path in schema["paths"], path
