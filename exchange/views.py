"""Pages of requests for information and single points of contact. Every request is read through
`exchange.selectors.request_get`: a third country gets 404 for any request id."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from exchange import selectors, services
from exchange.downloads import attachment_response
from exchange.forms import (
    AnswerForm,
    ExtendForm,
    RequestFilterForm,
    RequestForm,
    RouteForm,
    SpocForm,
    WithdrawForm,
    request_identifier_formset,
)
from portal.choices import IdentifierKind
from portal.forms import add_errors
from portal.gate import principal_country_id

BOXES = ("received", "sent")


@login_required
def request_list(request):
    box = request.GET.get("box") if request.GET.get("box") in BOXES else "received"
    filters = RequestFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    now = timezone.now()
    requests = selectors.request_search(
        request.user,
        box=box,
        status=data.get("status", ""),
        overdue=bool(data.get("overdue")),
        q=(data.get("q") or "").strip(),
        now=now,
    )
    page = Paginator(requests, 25).get_page(request.GET.get("page"))
    page.object_list = selectors.with_clocks(page.object_list, now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "exchange/request_list.html",
        {
            "box": box,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(data.get(name) for name in ("status", "overdue", "q")),
            "can_send": selectors.handles_requests(request.user),
        },
    )


def _prefill(request):
    """What a link (from a hit/no-hit result, for example) fills in: the requested country, one
    identifier, and the hit, when it is one of a check by the reader's country."""
    initial = {}
    country = (request.GET.get("requested_country") or "").upper()[:2]
    if country:
        initial["requested_country"] = country
    hit = selectors.hit_of_own_country(request.user, request.GET.get("hit"))
    if hit is not None:
        initial["hit"] = hit.pk
        initial.setdefault("requested_country", hit.holder_country_id)
    rows = []
    kind = request.GET.get("kind", "")
    if kind in IdentifierKind.values:
        rows.append(
            {
                "kind": kind,
                "value": request.GET.get("value", "")[:40],
                "country": (request.GET.get("country") or "").upper()[:2],
            }
        )
    return initial, rows


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request):
    if not selectors.handles_requests(request.user):
        messages.error(request, _("Only liaison officers and supervisors send requests for information."))
        return redirect("exchange:request_list")
    data = request.POST if request.method == "POST" else None
    initial, rows = _prefill(request) if data is None else ({}, [])
    form = RequestForm(data, user=request.user, initial=initial)
    identifiers = request_identifier_formset(data, user=request.user, initial=rows)
    if request.method == "POST":
        form_valid = form.is_valid()
        if identifiers.is_valid() and form_valid:
            fields = dict(form.cleaned_data)
            try:
                info_request = services.request_send(
                    actor=request.user,
                    identifiers=identifiers.entries(),
                    http_request=request,
                    **fields,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Request %(ref)s was sent; the answer is due %(due)s.")
                    % {
                        "ref": info_request.reference,
                        "due": timezone.localtime(info_request.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return redirect("exchange:request_detail", info_request.pk)
    # The hit the request follows, named on the form (only one of a check by the reader's country).
    hit = selectors.hit_of_own_country(request.user, form["hit"].value())
    return render(request, "exchange/request_form.html", {"form": form, "identifiers": identifiers, "hit": hit})


@login_required
def request_detail(request, pk):
    info_request = selectors.request_get(request.user, pk)
    user = request.user
    now = timezone.now()
    answers = selectors.answers_seen_by(user, info_request, at=now)
    services.request_read_record(actor=user, request=info_request, http_request=request)
    if answers:
        services.request_read_record(
            actor=user, request=info_request, action="exchange.answers_viewed", http_request=request
        )
    is_open = info_request.is_open()
    return render(
        request,
        "exchange/request_detail.html",
        {
            "info_request": info_request,
            "side": selectors.request_side(user, info_request),
            "clock": selectors.request_clock(info_request, now),
            "limit": selectors.duration_words(info_request.time_limit),
            "identifiers": info_request.identifiers.select_related("country"),
            "linked": selectors.linked_incidents_seen_by(user, info_request),
            "answers": answers,
            "extensions": info_request.extensions.all(),
            "personal_data_allowed": selectors.personal_data_allowed(info_request, at=now),
            "can_answer": is_open and selectors.may_receive(user, info_request),
            "can_route": is_open and selectors.may_route(user, info_request),
            "can_withdraw": is_open and selectors.may_withdraw(user, info_request),
        },
    )


def _refused_here(request, info_request, allowed, message):
    """Actions of the other side: back to the request, with why (the reader may see it)."""
    if allowed and info_request.is_open():
        return None
    messages.error(request, message if info_request.is_open() else _("This request is closed."))
    return redirect("exchange:request_detail", info_request.pk)


def _run(form, service, **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        add_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


def _request_action(request, pk, *, may, refusal, form_class, service, arguments, success, template, context=None):
    """The page of one action on a request (answer, extend, route, withdraw), as the API's
    `RequestAction`: the side that may not take it is sent back to the request with why; a valid
    form runs the service, whose errors come back on the form, then returns to the request."""
    info_request = selectors.request_get(request.user, pk)
    refused = _refused_here(request, info_request, may(request.user, info_request), refusal)
    if refused:
        return refused
    form = form_class(request.POST or None, request.FILES or None, info_request=info_request)
    if request.method == "POST" and form.is_valid():
        done = _run(form, service, request=info_request, actor=request.user, http_request=request, **arguments(form))
        if done is not None:
            messages.success(request, success(done))
            return redirect("exchange:request_detail", info_request.pk)
    extra = context(info_request, form) if context else {}
    return render(request, template, {"info_request": info_request, "form": form, **extra})


def _with_clock(info_request, form):
    return {"clock": selectors.request_clock(info_request)}


@login_required
@require_http_methods(["GET", "POST"])
def request_answer(request, pk):
    def arguments(form):
        data = form.cleaned_data
        return {
            "kind": data["kind"],
            "text": data["text"],
            "follows": data["follows"],
            "follows_by": data["follows_by"],
            "refusal_ground": data["refusal_ground"],
            "refusal_text": data["refusal_text"],
            "personal_data": data.get("personal_data", ""),
            "attachments": form.attachments(),
        }

    return _request_action(
        request,
        pk,
        may=selectors.may_receive,
        refusal=_("Only the receiving side answers a request."),
        form_class=AnswerForm,
        service=services.request_answer,
        arguments=arguments,
        success=lambda _answer: _("Your answer was sent."),
        template="exchange/request_answer.html",
        context=lambda info_request, form: {
            **_with_clock(info_request, form),
            "personal_data_allowed": form.personal_data_allowed,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_extend(request, pk):
    return _request_action(
        request,
        pk,
        may=selectors.may_receive,
        refusal=_("Only the receiving side extends the time limit."),
        form_class=ExtendForm,
        service=services.request_extend,
        arguments=lambda form: form.cleaned_data,
        success=lambda _extension: _("The time limit was extended; the requesting side was told."),
        template="exchange/request_extend.html",
        context=_with_clock,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_route(request, pk):
    return _request_action(
        request,
        pk,
        may=selectors.may_route,
        refusal=_("Only the single point of contact routes a request."),
        form_class=RouteForm,
        service=services.request_route,
        arguments=lambda form: form.cleaned_data,
        success=lambda routed: _("The request was routed to %(agency)s.") % {"agency": routed.routed_to.name},
        template="exchange/request_route.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_withdraw(request, pk):
    return _request_action(
        request,
        pk,
        may=selectors.may_withdraw,
        refusal=_("Only the requesting agency withdraws a request."),
        form_class=WithdrawForm,
        service=services.request_withdraw,
        arguments=lambda form: {"reason": form.cleaned_data["reason"]},
        success=lambda _withdrawn: _("The request was withdrawn."),
        template="exchange/request_withdraw.html",
    )


@login_required
def attachment_download(request, pk, attachment_pk):
    """Files of answers are reached only through their request, after the same gate; files
    that show or name a person only while a clause allows it."""
    return attachment_response(request, request.user, pk, attachment_pk)


# --- Single points of contact ------------------------------------------------------------------


@login_required
def spoc_list(request):
    country_id = principal_country_id(request.user)
    return render(
        request,
        "exchange/spoc_list.html",
        {
            "spocs": selectors.spocs_visible_to(request.user),
            "own_country": country_id,
            "can_set": selectors.may_set_spoc(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def spoc_edit(request):
    if not selectors.may_set_spoc(request.user):
        messages.error(request, _("Only agency administrators and liaison officers set the single point of contact."))
        return redirect("exchange:spoc_list")
    instance = selectors.spoc_of(principal_country_id(request.user))
    form = SpocForm(request.POST or None, user=request.user, instance=instance)
    if request.method == "POST" and form.is_valid():
        spoc = _run(form, services.spoc_set, actor=request.user, http_request=request, **form.service_fields())
        if spoc is not None:
            messages.success(request, _("The single point of contact was saved."))
            return redirect("exchange:spoc_list")
    return render(request, "exchange/spoc_form.html", {"form": form, "spoc": instance})


def request_new_url(*, requested_country=None, kind="", value="", country="", hit=None):
    """The address of the new request form, filled in (for links from other pages)."""
    from urllib.parse import urlencode

    params = {
        "requested_country": getattr(requested_country, "pk", requested_country) or "",
        "kind": kind,
        "value": value,
        "country": getattr(country, "pk", country) or "",
        "hit": getattr(hit, "pk", hit) or "",
    }
    query = urlencode({k: v for k, v in params.items() if v})
    return reverse("exchange:request_create") + (f"?{query}" if query else "")
