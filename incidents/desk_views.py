"""The duty desk: what awaits a supervisor (validation, handovers, acknowledgements), and the
validation of several incidents at once, each one by the same service and rules as one."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents import desk, services
from incidents.forms import BULK_VALIDATE_MAX, BulkValidateForm, DeskFilterForm
from incidents.models import Incident

# The handovers and late acknowledgements a desk lists (the counts above them are exact).
DESK_LIST_LIMIT = 50


def _duty_officer(request):
    if not desk.is_duty_officer(request.user):
        raise PermissionDenied(_("The duty desk is for supervisors."))
    return request.user


def _query_without(request, *names):
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def desk_page(request):
    user = _duty_officer(request)
    now = timezone.now()
    filters = DeskFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    queue = desk.validation_queue(user, **{k: v for k, v in data.items() if v})
    page = Paginator(queue, BULK_VALIDATE_MAX).get_page(request.GET.get("page"))
    page.object_list = desk.with_waiting_time(page.object_list, now)
    return render(
        request,
        "incidents/desk.html",
        {
            "filters": filters,
            "page": page,
            "query": _query_without(request, "page"),
            "counts": desk.counts(user, now),
            "incoming": desk.with_clock(desk.handovers_incoming(user)[:DESK_LIST_LIMIT], now),
            "outgoing": desk.with_clock(desk.handovers_outgoing(user)[:DESK_LIST_LIMIT], now),
            "acks_to_give": desk.acks_to_give(user, now)[:DESK_LIST_LIMIT],
            "acks_awaited": desk.acks_awaited(user, now)[:DESK_LIST_LIMIT],
            "limit": DESK_LIST_LIMIT,
        },
    )


@login_required
@require_POST
def desk_validate(request):
    """Two steps: the incidents chosen on the desk are listed for confirmation; once confirmed,
    each is validated by `incident_validate` in its own transaction and the outcome of each is
    shown. The chosen ones must be in the supervisor's queue when chosen; at confirmation, one
    that a colleague validated meanwhile is reported as such, not silently dropped."""
    user = _duty_officer(request)
    confirmed = request.POST.get("confirm") == "yes"
    # At confirmation the agency's incidents (through the gate) are admitted, so the service
    # says per incident why one no longer can be validated; foreign ids are never admitted.
    queue = (
        Incident.objects.visible_to(user).filter(agency_id=user.agency_id).order_by("created_at", "id")
        if confirmed
        else desk.validation_queue(user)
    )
    form = BulkValidateForm(request.POST, queue=queue.select_related("reporter"))
    if not form.is_valid():
        errors = form.errors["incident"]
        return render(request, "incidents/desk_validate.html", {"form": form, "errors": errors}, status=400)
    if not confirmed:
        chosen = desk.with_waiting_time(form.chosen)
        return render(
            request,
            "incidents/desk_validate.html",
            {
                "form": form,
                "chosen": chosen,
                "own_reports": [incident for incident in chosen if incident.reporter_id == user.pk],
            },
        )
    outcomes = services.incident_validate_bulk(incidents=form.chosen, actor=user, request=request)
    return render(
        request,
        "incidents/desk_result.html",
        {
            "outcomes": outcomes,
            "validated": sum(1 for outcome in outcomes if outcome.validated),
            "refused": sum(1 for outcome in outcomes if not outcome.validated),
        },
    )
