"""Incident pages. Every read starts from the gate; foreign incidents answer 404."""

import csv
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from agreements.selectors import clause_sentence
from alerts.models import AlertDelivery
from alerts.views import redeliver_button
from borders.selectors import place_on_map
from incidents import access, identifiers, live, selectors, services, sharing, timeline
from incidents.forms import (
    AttachmentForm,
    CommentForm,
    HandoverAnswerForm,
    HandoverForm,
    IncidentFilterForm,
    IncidentForm,
    ShareForm,
    identifier_formset,
)
from incidents.models import (
    PERSONAL_FIELDS,
    HandoverStatus,
    Incident,
    IncidentStatus,
    Severity,
)
from portal import audit
from portal.choices import TLP, IncidentCategory
from portal.forms import add_errors
from portal.views.helpers import perform


def _filtered(request):
    """The filter form and the list it selects, always from the gate."""
    filters = IncidentFilterForm(request.GET if request.GET else None)
    data = filters.cleaned_data if filters.is_valid() else {}
    incidents = selectors.incident_search(request.user, **{k: v for k, v in data.items() if v not in ("", None)})
    query = request.GET.copy()
    query.pop("after", None)
    return filters, incidents, query.urlencode()


@login_required
def incident_list(request):
    filters, incidents, query = _filtered(request)
    live_page = live.page(request.user, query)  # before the rows: a change in between comes again
    rows, following = selectors.keyset_page(incidents, request.GET.get("after", ""), size=50)
    services.foreign_list_record(actor=request.user, incidents=rows, action="incident.listed", request=request)
    if live_page:
        changed = live.new_ids(live_page["state"], [row.pk for row in rows])
        for row in rows:
            row.live_seq = changed.get(row.pk)
    return render(
        request,
        "incidents/list.html",
        {
            "filters": filters,
            "rows": rows,
            "exercise_on_page": any(incident.is_exercise for incident in rows),
            "following": following,
            "query": query,
            "can_file": request.user.is_officer or request.user.is_supervisor,
            "live": live_page,
            "live_first_page": not request.GET.get("after"),
        },
    )


def _tiles():
    return {"tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


@login_required
def incident_map(request):
    filters, _incidents, query = _filtered(request)
    context = {"filters": filters, "query": query, "live": live.page(request.user, query), **_tiles()}
    return render(request, "incidents/map.html", context)


# The map draws the newest this many; it says so, and filters or a map area narrow it down.
MAP_LIMIT = 500


@login_required
def incident_geojson(request):
    """The filtered incidents that have a place, as an RFC 7946 GeoJSON FeatureCollection
    (`application/geo+json`, newest first, coordinates [longitude, latitude]).

    Properties carry the codes the API writes (`category`, `severity`, `marking`, `status`,
    `country`), each with its label in the reader's language beside it (`category_label`...).
    The newest MAP_LIMIT, read as plain values rather than model instances; nothing personal is
    in a feature, so nothing needs redacting. `truncated` (a foreign member) says more matched."""
    _filters, incidents, _query = _filtered(request)
    rows = list(incidents.filter(latitude__isnull=False).values_list(*GEOJSON_FIELDS)[: MAP_LIMIT + 1])
    truncated = len(rows) > MAP_LIMIT
    rows = rows[:MAP_LIMIT]
    labels: dict[str, dict[str, Any]] = {
        "category": dict(IncidentCategory.choices),
        "severity": dict(Severity.choices),
        "marking": dict(TLP.choices),
        "status": dict(IncidentStatus.choices),
    }
    detail_prefix = reverse("incidents:detail", args=[0]).removesuffix("0/")  # one reverse() per answer
    features = []
    for pk, reference, category, occurred_at, severity, marking, status, country_id, exercise_id, lat, lon in rows:
        codes = {"category": category, "severity": severity, "marking": marking, "status": status}
        properties: dict[str, Any] = {"reference": reference, "occurred_at": occurred_at.isoformat()}
        for name, code in codes.items():
            properties[name] = code
            properties[f"{name}_label"] = str(labels[name].get(code, code))
        properties |= {"country": country_id, "exercise": exercise_id is not None, "url": f"{detail_prefix}{pk}/"}
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": properties,
            }
        )
    services.foreign_reads_record(
        actor=request.user, rows=[(row[0], row[7]) for row in rows], action="incident.exported", request=request
    )
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": truncated},
        content_type="application/geo+json",  # RFC 7946 §12: the type has no parameters
    )


GEOJSON_FIELDS = (
    "pk",
    "reference",
    "category",
    "occurred_at",
    "severity",
    "marking",
    "status",
    "country_id",
    "exercise_id",
    "latitude",
    "longitude",
)


CSV_COLUMNS = [
    "reference",
    "is_exercise",
    "country",
    "agency",
    "status",
    "category",
    "occurred_at",
    "latitude",
    "longitude",
    "border_sector",
    "crossing_point",
    "severity",
    "source_reliability",
    "information_credibility",
    "marking",
    "people_involved",
    "description",
    "has_personal_data",
    *PERSONAL_FIELDS,
]
# Rows are read from the database this many at a time while the answer streams.
EXPORT_CHUNK_SIZE = 2000
# Leading characters a spreadsheet reads as the start of a formula: OWASP's CSV injection list
# (=, +, -, @, TAB, CR), and NUL, which OWASP ASVS (V1.2.10) adds.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\x00")


@login_required
def incident_csv(request):
    """The filtered list as CSV (RFC 4180, UTF-8), every row: streamed, read in chunks, no cap.

    Personal fields are blank where the country may not receive them. Booleans are written as
    the API writes them (`true`/`false`); a text cell that a spreadsheet would run as a formula
    is prefixed with a single quote. `?bom=1` starts the file with a UTF-8 byte order mark, which
    spreadsheet programs need to read it as UTF-8 (the list and map pages link to it)."""
    _filters, incidents, _query = _filtered(request)
    # The read is audited before it is sent, from the same gated query the rows come from.
    own_country = request.user.agency.country_id
    services.foreign_reads_record(
        actor=request.user,
        rows=incidents.exclude(country_id=own_country).values_list("pk", "country_id"),
        action="incident.exported",
        request=request,
    )
    bom = request.GET.get("bom") == "1"
    response = StreamingHttpResponse(
        _csv_lines(incidents, bom=bom), content_type="text/csv; charset=utf-8; header=present"
    )
    response["Content-Disposition"] = f'attachment; filename="incidents-{timezone.localdate():%Y%m%d}.csv"'
    return response


def _csv_lines(incidents, *, bom=False):
    """The CSV text, one chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    chunk = EXPORT_CHUNK_SIZE
    for count, incident in enumerate(incidents.iterator(chunk_size=chunk), start=1):
        selectors.redact(incident)
        values = {
            "country": incident.country_id,
            "agency": incident.agency.code,
            "occurred_at": incident.occurred_at.isoformat(),
            # The sector's and crossing point's codes, or the names as reported.
            "border_sector": incident.sector.code if incident.sector_id else incident.border_sector,
            "crossing_point": incident.crossing.code if incident.crossing_id else incident.crossing_point,
        }
        writer.writerow([_csv_cell(values.get(c, getattr(incident, c))) for c in CSV_COLUMNS])
        if count % chunk == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_cell(value):
    """One cell: booleans as `true`/`false`, nothing for None, and text a spreadsheet would run
    as a formula neutralised with a leading single quote. Numbers (coordinates, counts) are
    typed values, never text someone wrote, and stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return str(value)


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request, pk=None):
    parent = selectors.incident_get(request.user, pk) if pk else None
    data = request.POST if request.method == "POST" else None
    form = IncidentForm(data, user=request.user, initial={"exercise": request.GET.get("exercise")})
    rows = identifier_formset(data, user=request.user)
    if request.method == "POST" and _all_valid(form, rows):
        try:
            incident = services.incident_create(
                actor=request.user,
                follow_up_of=parent,
                identifiers=_entries(rows),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Draft %(ref)s saved. Submit it when it is complete.") % {"ref": incident.reference}
            )
            return redirect("incidents:detail", incident.pk)
    return render(request, "incidents/form.html", {"form": form, "identifiers": rows, "parent": parent, **_tiles()})


def _all_valid(form, rows):
    """The incident's form and its rows of identifiers, each validated (errors on both shown)."""
    form_valid = form.is_valid()
    return (not rows.is_bound or rows.is_valid()) and form_valid


def _entries(rows):
    """The identifiers posted, or None when the post had no rows of them (nothing changes)."""
    return rows.entries() if rows.is_bound else None


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request, pk):
    incident = selectors.incident_get(request.user, pk)
    if incident.country_id != request.user.agency.country_id:
        return redirect("incidents:detail", pk)
    instance = Incident.objects.get(pk=incident.pk)  # unredacted: the reporting agency's own record
    data = request.POST if request.method == "POST" else None
    form = IncidentForm(data, instance=instance, user=request.user)
    rows = identifier_formset(data, incident=instance)
    if request.method == "POST" and _all_valid(form, rows):
        try:
            services.incident_update(
                incident=instance,
                actor=request.user,
                identifiers=_entries(rows),
                request=request,
                **{f: form.cleaned_data[f] for f in form.changed_data},
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("incidents:detail", pk)
    return render(request, "incidents/form.html", {"form": form, "identifiers": rows, "incident": incident, **_tiles()})


def _handovers_seen(request, incident):
    """The owner sees every handover of its incident; a partner only those addressed to it."""
    handovers = incident.handovers.all()
    if incident.country_id != request.user.agency.country_id:
        handovers = handovers.filter(to_agency__country_id=request.user.agency.country_id)
    return handovers


def _preview_countries(incident):
    """Countries the owner can preview the incident as: every country it was ever shared with,
    and every party with the owner to an agreement."""
    from agreements.models import AgreementParty
    from portal.models import Country

    parties = AgreementParty.objects.filter(agreement__parties__country_id=incident.country_id).values("country_id")
    granted = incident.grants.values("country_id")
    return Country.objects.filter(Q(pk__in=parties) | Q(pk__in=granted)).exclude(pk=incident.country_id)


PREVIEW_EXTRA_LABELS = {
    "agency": _lazy("reporting agency"),
    "exercise": _lazy("exercise"),
    "personal_data_withheld": _lazy("personal data withheld"),
}


def _preview_fields(content):
    """(label, value) of what the partner receives, labelled as on the incident form."""
    labels = {f.name: f.verbose_name for f in Incident._meta.fields} | PREVIEW_EXTRA_LABELS
    rows = []
    for name, value in content.items():
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        rows.append((labels.get(name, name.replace("_", " ")), "—" if value in (None, "") else value))
    return rows


@login_required
def incident_preview(request, pk):
    """The owner's view of the incident as one partner country receives it now."""
    incident = selectors.incident_get(request.user, pk)
    if incident.country_id != request.user.agency.country_id:
        raise Http404
    countries = _preview_countries(incident)
    country = countries.filter(pk=(request.GET.get("country") or "").upper()[:2]).first()
    preview = access.preview(incident, country) if country else None
    return render(
        request,
        "incidents/preview.html",
        {
            "incident": incident,
            "countries": countries,
            "preview": preview,
            "fields": _preview_fields(preview.content) if preview and preview.content else [],
        },
    )


@login_required
def incident_detail(request, pk):
    incident = selectors.incident_get(request.user, pk)
    services.foreign_read_record(actor=request.user, incident=incident, action="incident.viewed", request=request)
    own = incident.country_id == request.user.agency.country_id
    grants = [(grant, clause_sentence(grant.clause)) for grant in selectors.grants_seen_by(request.user, incident)]
    viewers = (
        audit.recent(
            50,
            related=("agency",),
            action="incident.viewed",
            object_type="incidents.incident",
            object_id=str(incident.pk),
        )
        if own
        else []
    )
    share_options = sharing.share_options(incident) if own else []
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "own": own,
            "handled_here": selectors.handled_here(request.user, incident),
            "grants": grants,
            "viewers": viewers,
            "comments": access.comments_seen_by(incident, request.user.agency.country_id),
            "timeline": timeline.incident_timeline(request.user, incident),
            "minimap": place_on_map(
                request.user,
                latitude=incident.latitude,
                longitude=incident.longitude,
                sector_id=incident.sector_id,
                crossing_id=incident.crossing_id,
            ),
            **_tiles(),
            "comment_form": CommentForm(),
            "identifiers": identifiers.seen(incident.identifiers.all(), access.personal_data_visible(incident)),
            "attachments": access.attachments_seen_by(incident, access.personal_data_visible(incident)),
            "preview_countries": _preview_countries(incident) if own else [],
            # The sender's ledger: every alert this incident caused, its deliveries and acknowledgement.
            "sent_alerts": incident.alerts.select_related("country", "acknowledgement").prefetch_related(
                "deliveries__subscription__agency"
            )
            if own
            else [],
            "handover": _handovers_seen(request, incident).select_related("to_agency", "from_agency").first(),
            "handover_form": HandoverForm(incident=incident)
            if own
            and request.user.is_supervisor
            and incident.status in {IncidentStatus.VALIDATED, IncidentStatus.SHARED}
            else None,
            "answer_form": HandoverAnswerForm(),
            "attachment_form": AttachmentForm() if own and incident.status != IncidentStatus.CLOSED else None,
            "share_form": ShareForm(options=share_options) if share_options else None,
            "follow_ups": selectors.incidents_visible_to(request.user).filter(follow_up_of=incident),
            "parent": selectors.incidents_visible_to(request.user).filter(pk=incident.follow_up_of_id).first(),
            "can_submit": own and incident.status == IncidentStatus.DRAFT,
            "can_validate": own
            and incident.status == IncidentStatus.SUBMITTED
            and request.user.is_supervisor
            and request.user.pk != incident.reporter_id,
            "can_close": own
            and incident.status in {IncidentStatus.VALIDATED, IncidentStatus.SHARED}
            and request.user.is_supervisor,
            "can_edit": own and incident.status != IncidentStatus.CLOSED,
        },
    )


STEPS = {
    "submit": (services.incident_submit, _("The incident was submitted for validation.")),
    "validate": (services.incident_validate, _("The incident was validated and shared where agreements allow.")),
    "close": (services.incident_close, _("The incident was closed.")),
}


@login_required
@require_POST
def incident_step(request, pk, step):
    incident = selectors.incident_get(request.user, pk)
    service, done = STEPS.get(step, (None, None))
    if service is None:
        return redirect("incidents:detail", pk)
    perform(request, done, service, incident=incident, actor=request.user, request=request)
    return redirect("incidents:detail", pk)


@login_required
@require_POST
def incident_share(request, pk):
    incident = selectors.incident_get(request.user, pk)
    form = ShareForm(request.POST, options=sharing.share_options(incident))
    if form.is_valid():
        country = form.cleaned_data["country"]
        perform(
            request,
            _("Shared with %(country)s.") % {"country": country},
            services.incident_share,
            incident=incident,
            country=country,
            actor=request.user,
        )
    else:
        messages.error(request, _("No clause allows sharing with that country."))
    return redirect("incidents:detail", pk)


@login_required
@require_POST
def incident_comment(request, pk):
    incident = selectors.incident_get(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.comment_add(incident=incident, actor=request.user, body=form.cleaned_data["body"], request=request)
        messages.success(request, _("Your comment was added."))
    else:
        messages.error(request, _("Write a comment."))
    return redirect("incidents:detail", pk)


@login_required
@require_POST
def attachment_upload(request, pk):
    incident = selectors.incident_get(request.user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        perform(
            request,
            _("The file was attached."),
            services.attachment_add,
            incident=incident,
            actor=request.user,
            upload=form.cleaned_data["file"],
            personal_data=form.cleaned_data["personal_data"],
            request=request,
        )
    else:
        messages.error(request, _("Choose a file to attach."))
    return redirect("incidents:detail", pk)


@login_required
def attachment_download(request, pk, attachment_pk):
    """Attachments are reached only through their incident, after the same gate."""
    incident = selectors.incident_get(request.user, pk)
    attachment = get_object_or_404(
        access.attachments_seen_by(incident, access.personal_data_visible(incident)), pk=attachment_pk
    )
    handle = attachment.file.open("rb")
    services.foreign_read_record(
        actor=request.user, incident=incident, action="incident.attachment_downloaded", request=request
    )
    response = FileResponse(
        handle,
        as_attachment=not attachment.is_photo,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def handover_request(request, pk):
    incident = selectors.incident_get(request.user, pk)
    form = HandoverForm(request.POST, incident=incident)
    if form.is_valid():
        perform(
            request,
            _("The handover was requested; the other agency has 24 hours to answer."),
            services.handover_request,
            incident=incident,
            actor=request.user,
            request=request,
            **form.cleaned_data,
        )
    else:
        messages.error(request, _("Choose the agency and give the reason."))
    return redirect("incidents:detail", pk)


@login_required
@require_POST
def handover_answer(request, pk, handover_pk, decision):
    incident = selectors.incident_get(request.user, pk)
    handover = get_object_or_404(_handovers_seen(request, incident), pk=handover_pk, status=HandoverStatus.PENDING)
    form = HandoverAnswerForm(request.POST)
    form.is_valid()
    perform(
        request,
        _("Your answer was recorded."),
        services.handover_answer,
        handover=handover,
        actor=request.user,
        accept=decision == "accept",
        answer=form.cleaned_data.get("answer", ""),
        request=request,
    )
    return redirect("incidents:detail", pk)


@login_required
@require_POST
def alert_redeliver(request, pk, delivery_pk):
    """The sender's redeliver button (the service admits supervisors and administrators of the
    reporting agency)."""
    incident = selectors.incident_get(request.user, pk)
    delivery = get_object_or_404(AlertDelivery, pk=delivery_pk, alert__incident=incident)
    return redeliver_button(request, delivery, reverse("incidents:detail", args=[pk]))
