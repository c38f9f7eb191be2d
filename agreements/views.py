"""Pages of agreements. Every page starts from the gate: a non-party gets 404."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from agreements import iep, selectors, services
from agreements.downloads import document_response
from agreements.forms import (
    AgreementFilterForm,
    AgreementForm,
    ClauseForm,
    DisputeForm,
    DisputeMessageForm,
    DisputeStatusForm,
    DocumentForm,
    DocumentVersionForm,
    TransitionForm,
)
from agreements.models import AgreementStatus, DisputeMessage
from portal.forms import add_errors
from portal.views.helpers import perform

# What the button that moves an agreement to each status says.
TRANSITION_ACTIONS = {
    AgreementStatus.NEGOTIATION: gettext_lazy("Open negotiation"),
    AgreementStatus.SIGNED: gettext_lazy("Record the signature"),
    AgreementStatus.IN_FORCE: gettext_lazy("Put in force"),
    AgreementStatus.SUSPENDED: gettext_lazy("Suspend"),
    AgreementStatus.TERMINATED: gettext_lazy("Terminate"),
}


@login_required
def agreement_list(request):
    filters = AgreementFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    agreements = selectors.agreement_search(
        request.user,
        q=data.get("q", ""),
        partner=data.get("partner"),
        kind=data.get("kind", ""),
        status=data.get("status", ""),
        expiring_within=data.get("expiring_within"),
    ).order_by("reference", "-version")
    page = Paginator(agreements, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "agreements/list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_create": request.user.is_liaison and request.user.agency_id,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_create(request):
    form = AgreementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(
                parties=form.party_list(), actor=request.user, request=request, **form.agreement_fields()
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The agreement was created as a draft."))
            return redirect("agreements:detail", agreement.pk)
    return render(request, "agreements/form.html", {"form": form})


@login_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_get(request.user, pk)
    editable = services.can_edit(request.user, agreement)
    clauses = [
        (clause, selectors.clause_sentence(clause))
        for clause in agreement.clauses.select_related("provider", "receiver")
    ]
    return render(
        request,
        "agreements/detail.html",
        {
            "agreement": agreement,
            "can_edit": editable,
            "clauses": clauses,
            "parties": agreement.parties.select_related("country", "agency").prefetch_related("liaison_officers"),
            "documents": agreement.documents.prefetch_related("versions"),
            "disputes": agreement.disputes.all(),
            "events": agreement.events.select_related("actor"),
            "transitions": [
                (status, TRANSITION_ACTIONS[status])
                for status in AgreementStatus
                if status in services.TRANSITIONS[AgreementStatus(agreement.status)] and status in TRANSITION_ACTIONS
            ]
            if editable
            else [],
            "superseded_by": selectors.agreements_visible_to(request.user).filter(supersedes=agreement).first(),
            "supersedes": selectors.agreements_visible_to(request.user).filter(pk=agreement.supersedes_id).first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def agreement_edit(request, pk):
    agreement = selectors.agreement_get(request.user, pk)
    form = AgreementForm(request.POST if request.method == "POST" else None, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_update(
                agreement=agreement,
                actor=request.user,
                request=request,
                parties=form.party_list() if agreement.is_content_editable else None,
                **form.agreement_fields(),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("agreements:detail", agreement.pk)
    return render(request, "agreements/form.html", {"form": form, "agreement": agreement})


@login_required
@require_http_methods(["GET", "POST"])
def agreement_transition(request, pk, target):
    agreement = selectors.agreement_get(request.user, pk)
    if target not in AgreementStatus.values:
        raise Http404
    target = AgreementStatus(target)
    form = TransitionForm(request.POST if request.method == "POST" else None, target=target, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_transition(
                agreement=agreement,
                to_status=target,
                actor=request.user,
                request=request,
                **{k: v for k, v in form.cleaned_data.items() if v},
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The agreement is now %(status)s.") % {"status": target.label.lower()})
            return redirect("agreements:detail", agreement.pk)
    return render(request, "agreements/transition.html", {"form": form, "agreement": agreement, "target": target})


@login_required
@require_http_methods(["GET", "POST"])
def agreement_amend(request, pk):
    agreement = selectors.agreement_get(request.user, pk)
    if request.method == "POST":
        new = perform(
            request,
            lambda new: _("Version %(n)s was drafted; it supersedes this one once in force.") % {"n": new.version},
            services.agreement_amend,
            agreement=agreement,
            actor=request.user,
            request=request,
        )
        return redirect("agreements:detail", new.pk if new else agreement.pk)
    return render(
        request,
        "portal/confirm.html",
        {
            "subject": agreement,
            "title": _("Amend this agreement?"),
            "explanation": _(
                "A new draft version is created with the same parties and clauses. This version stays "
                "in force until the new one enters into force."
            ),
            "button": _("Draft an amendment"),
            "danger": False,
            "cancel_url": reverse("agreements:detail", args=[agreement.pk]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def clause_edit(request, pk, clause_pk=None):
    agreement = selectors.agreement_get(request.user, pk)
    clause = get_object_or_404(agreement.clauses, pk=clause_pk) if clause_pk else None
    form = ClauseForm(request.POST if request.method == "POST" else None, agreement=agreement, clause=clause)
    if request.method == "POST" and form.is_valid():
        try:
            services.clause_save(
                agreement=agreement, actor=request.user, clause=clause, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The clause was saved."))
            return redirect("agreements:detail", agreement.pk)
    return render(request, "agreements/clause_form.html", {"form": form, "agreement": agreement, "clause": clause})


@login_required
@require_http_methods(["GET", "POST"])
def clause_delete(request, pk, clause_pk):
    agreement = selectors.agreement_get(request.user, pk)
    clause = get_object_or_404(agreement.clauses, pk=clause_pk)
    if request.method == "POST":
        perform(
            request,
            _("The clause was deleted."),
            services.clause_delete,
            clause=clause,
            actor=request.user,
            request=request,
        )
        return redirect("agreements:detail", agreement.pk)
    return render(
        request,
        "portal/confirm.html",
        {
            "subject": selectors.clause_sentence(clause),
            "title": _("Delete this clause?"),
            "explanation": _("Incidents will no longer be shared under it once the agreement is in force."),
            "button": _("Delete"),
            "danger": True,
            "cancel_url": reverse("agreements:detail", args=[agreement.pk]),
        },
    )


@login_required
def clauses_iep(request, pk):
    agreement = selectors.agreement_get(request.user, pk)
    body = json.dumps(iep.clauses_as_iep(agreement), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")  # RFC 8259: UTF-8, no charset parameter
    response["Content-Disposition"] = f'attachment; filename="agreement-{agreement.pk}-iep.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request, pk, document_pk=None):
    agreement = selectors.agreement_get(request.user, pk)
    document = get_object_or_404(agreement.documents, pk=document_pk) if document_pk else None
    form_class = DocumentVersionForm if document else DocumentForm
    form = form_class(
        request.POST if request.method == "POST" else None, request.FILES if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(
                agreement=agreement,
                actor=request.user,
                request=request,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data.get("title", ""),
                kind=form.cleaned_data.get("kind", "signed"),
                document=document,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The document was uploaded."))
            return redirect("agreements:detail", agreement.pk)
    return render(
        request, "agreements/document_form.html", {"form": form, "agreement": agreement, "document": document}
    )


@login_required
def document_download(request, pk, version_pk):
    return document_response(request, request.user, pk, version_pk)


@login_required
@require_http_methods(["GET", "POST"])
def dispute_create(request, pk):
    agreement = selectors.agreement_get(request.user, pk)
    form = DisputeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.dispute_raise(
                agreement=agreement, actor=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The dispute was raised; the other parties' liaison officers are told."))
            return redirect("agreements:dispute", agreement.pk, dispute.pk)
    return render(request, "agreements/dispute_form.html", {"form": form, "agreement": agreement})


@login_required
@require_http_methods(["GET", "POST"])
def dispute_detail(request, pk, dispute_pk):
    agreement = selectors.agreement_get(request.user, pk)
    dispute = get_object_or_404(agreement.disputes, pk=dispute_pk)
    message_form = DisputeMessageForm(request.POST if "body" in request.POST else None)
    status_form = DisputeStatusForm(
        request.POST if "status" in request.POST else None,
        initial={"status": dispute.status, "resolution": dispute.resolution},
    )
    if request.method == "POST":
        try:
            if message_form.is_bound and message_form.is_valid():
                parent_id = message_form.cleaned_data.get("parent")
                parent = dispute.messages.filter(pk=parent_id).first() if parent_id else None
                services.dispute_comment(
                    dispute=dispute,
                    actor=request.user,
                    body=message_form.cleaned_data["body"],
                    parent=parent,
                    request=request,
                )
                messages.success(request, _("Your message was added."))
                return redirect("agreements:dispute", agreement.pk, dispute.pk)
            if status_form.is_bound and status_form.is_valid():
                services.dispute_set_status(
                    dispute=dispute, actor=request.user, request=request, **status_form.cleaned_data
                )
                messages.success(request, _("The dispute's status was changed."))
                return redirect("agreements:dispute", agreement.pk, dispute.pk)
        except ValidationError as exc:
            add_errors(message_form if message_form.is_bound else status_form, exc)
    threads = _threads(dispute)
    return render(
        request,
        "agreements/dispute_detail.html",
        {
            "agreement": agreement,
            "dispute": dispute,
            "threads": threads,
            "message_form": message_form,
            "status_form": status_form,
            "can_edit": services.can_edit(request.user, agreement),
        },
    )


def _threads(dispute):
    """Messages in reading order, each with its depth in the discussion."""
    messages_by_parent: dict[int | None, list[DisputeMessage]] = {}
    for message in dispute.messages.select_related("author__agency"):
        messages_by_parent.setdefault(message.parent_id, []).append(message)
    ordered = []

    def walk(parent_id, depth):
        for message in messages_by_parent.get(parent_id, []):
            ordered.append((message, min(depth, 4)))
            walk(message.pk, depth + 1)

    walk(None, 0)
    return ordered
