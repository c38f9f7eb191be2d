"""API keys fail closed: a view or HTTP method that declares no scope refuses every key."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from portal.api import permissions
from portal.api.permissions import ANY_KEY, PEOPLE_ONLY, HasScope
from portal.models import APIScope
from portal.testing import make_verified

# Methods a view serves without defining them: HEAD (Django derives it from GET) and OPTIONS
# (DRF's metadata); both follow GET.
DERIVED = {"head", "options"}


def api_views():
    """(route, view class) of every route under /api/v1/, read from the resolver."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    found = []
    for route, callback in walk(get_resolver().url_patterns, ""):
        if route.startswith("api/v1/"):
            found.append((route, getattr(callback, "view_class", None) or getattr(callback, "cls", None)))
    return found


def served_methods(view_class):
    return [m for m in view_class.http_method_names if m not in DERIVED and hasattr(view_class, m)]


def test_the_walk_finds_the_api_views():
    routes = {route for route, _view in api_views()}
    assert {"api/v1/me/", "api/v1/incidents/", "api/v1/agreements/<int:pk>/", "api/v1/patrols/"} <= routes


@pytest.mark.parametrize(("route", "view_class"), api_views(), ids=[route for route, _v in api_views()])
def test_every_api_view_declares_a_scope_for_every_method_it_serves(route, view_class):
    assert view_class is not None and issubclass(view_class, APIView), route
    assert HasScope in [type(p) for p in view_class().get_permissions()], route
    methods = served_methods(view_class)
    assert methods, route
    declared = getattr(view_class, "required_scopes", None) or {}
    for method in methods:
        needed = declared.get(method.upper())
        assert needed is not None, f"{route}: {view_class.__name__} declares no scope for {method.upper()}"
        assert needed in {*APIScope.values, ANY_KEY, PEOPLE_ONLY}, (route, method, needed)
    for derived in ("HEAD", "OPTIONS"):
        assert permissions.required_scope(view_class, derived) == declared.get("GET"), (route, derived)


# --- A small view, to show what the permission does ----------------------------------------------


class NoScopes(APIView):
    def get(self, request):
        return Response({"ok": True})


class ReadOnlyScope(APIView):
    required_scopes = {"GET": APIScope.TRAINING_READ}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True})


class PeopleOnly(APIView):
    required_scopes = {"POST": PEOPLE_ONLY}

    def post(self, request):
        return Response({"ok": True})


def call(view, method, raw=None, user=None):
    factory = APIRequestFactory()
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"} if raw else {}
    request = getattr(factory, method)("/api/v1/test/", **headers)
    if user is not None:
        from rest_framework.test import force_authenticate

        force_authenticate(request, user=user)
    return view.as_view()(request)


def test_a_key_is_refused_on_a_view_that_declares_no_scope(api_key):
    _key, raw = api_key(scopes=list(APIScope.values))
    assert call(NoScopes, "get", raw).status_code == 403


def test_a_key_is_refused_on_a_method_the_view_declares_no_scope_for(api_key):
    _key, raw = api_key(scopes=list(APIScope.values))
    assert call(ReadOnlyScope, "get", raw).status_code == 200
    assert call(ReadOnlyScope, "head", raw).status_code == 200
    assert call(ReadOnlyScope, "post", raw).status_code == 403


def test_head_and_options_need_the_scope_of_get(api_key):
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    for method in ("get", "head", "options"):
        assert call(ReadOnlyScope, method, raw).status_code == 403, method


def test_a_people_only_method_refuses_every_key(api_key, officer):
    _key, raw = api_key(scopes=list(APIScope.values))
    assert call(PeopleOnly, "post", raw).status_code == 403
    assert call(PeopleOnly, "post", user=officer).status_code == 200


def test_people_signed_in_are_not_limited_by_scopes(officer):
    assert call(NoScopes, "get", user=officer).status_code == 200
    assert call(ReadOnlyScope, "post", user=officer).status_code == 200


def test_any_key_reads_who_it_is_and_the_directory(api_key, client):
    _key, raw = api_key(scopes=[APIScope.ALERTS_READ])
    for path in ("/api/v1/me/", "/api/v1/countries/", "/api/v1/agencies/"):
        assert client.get(path, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200, path


def test_a_key_cannot_write_agreements_whatever_its_scopes(api_key, client, lt_pl_in_force):
    _key, raw = api_key(scopes=list(APIScope.values))
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    assert client.get(f"/api/v1/agreements/{lt_pl_in_force.pk}/", **auth).status_code == 200
    patch = client.patch(f"/api/v1/agreements/{lt_pl_in_force.pk}/", {}, content_type="application/json", **auth)
    assert patch.status_code == 403
    assert client.post("/api/v1/agreements/", {}, content_type="application/json", **auth).status_code == 403


def test_the_session_of_a_verified_person_still_reads_the_api(client, officer):
    make_verified(client, officer)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/patrols/").status_code == 200
