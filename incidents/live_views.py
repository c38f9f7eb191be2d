"""The live pages' endpoints: the poll (304 while nothing changed for the reader) and "seen"."""

from django.http import HttpResponse, HttpResponseNotModified, JsonResponse, QueryDict
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents import live, selectors, services
from incidents.forms import IncidentFilterForm

# Answers carry what one person may see: no cache along the way may keep or share them.
NO_STORE = "private, no-store"


def _refused(status, message):
    response = JsonResponse({"error": message}, status=status)
    response["Cache-Control"] = NO_STORE
    return response


def _signed_in(request):
    user = request.user
    return user.is_authenticated and user.is_verified()


def _matches(header, etag):
    """Whether an If-None-Match header names this ETag (weak or strong, or in a list)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in tags or "*" in tags


def _page_incidents(user, query):
    """The gated incidents of the page that polls: the list and the map send their filters (the
    same form as theirs); the dashboard sends none and shows no agreement, so its read is the
    bare gate, which every commit has each open dashboard run once: None, for `live.changes`
    to read through the gate's compiled statement."""
    if not query:
        return None
    filters = IncidentFilterForm(QueryDict(query))
    data = filters.cleaned_data if filters.is_valid() else {}
    return selectors.incident_search(user, **{k: v for k, v in data.items() if v not in ("", None)})


@require_GET
def live_poll(request):
    """`GET /incidents/live/?cursor=<cursor>[&filters of the page]` with `If-None-Match`: 304 while
    nothing this person sees changed; otherwise the changed incidents, read through the gate now.
    A poll is not activity: it does not keep an idle session alive, and a session that ended
    answers 401 (never a redirect to the sign-in page)."""
    request.session_passive = True
    if not _signed_in(request):
        return _refused(401, _("Your session has ended. Sign in again to see live updates."))
    user = request.user
    state = live.poll_state(user)
    if state is None:
        return _refused(403, _("Your account belongs to no agency, so no shared data is visible to it."))
    query = request.GET.copy()
    cursor = live.parse_cursor(query.pop("cursor", [""])[-1])
    query = query.urlencode()
    etag = state.etag(query)
    response: HttpResponse
    if cursor is not None and _matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponseNotModified()
    else:
        incidents = _page_incidents(user, query)
        if cursor is None:  # a page without a cursor starts from now: nothing to send yet
            cursor = live.parse_cursor(state.cursor)
        payload = live.changes(user, state, cursor, incidents)
        services.foreign_reads_record(
            actor=user,
            rows=[(item["id"], item["country"]) for item in payload["items"]],
            action="incident.listed",
            request=request,
        )
        response = JsonResponse(payload)
    response["ETag"] = etag
    response["Cache-Control"] = NO_STORE
    response["Vary"] = "Cookie"
    return response


@require_POST
def live_seen(request):
    """The person has seen their country's changes up to `seq` (all of them without it): from a
    live page (JSON) or the dashboard's "Mark all as seen" button (a form, redirected back)."""
    if not _signed_in(request):
        return _refused(401, _("Your session has ended. Sign in again to see live updates."))
    try:
        up_to = int(request.POST["seq"]) if request.POST.get("seq") else None
    except ValueError:
        return _refused(400, _("Bad request."))
    seen = live.seen_mark(user=request.user, up_to=up_to)
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"seen": seen})
        response["Cache-Control"] = NO_STORE
        return response
    target = request.POST.get("next", "")
    hosts = {request.get_host()}
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=hosts, require_https=request.is_secure())
    return redirect(target if safe else "dashboard")
