"""Information exchange API: hit/no-hit checks of identifiers, and requests for information
between countries' single points of contact, by partner systems (and people signed in).

Every request is read through `exchange.selectors` (`request_search`, `request_get`: a third
country gets 404 for any request id) and every write goes through `exchange.services`; reads of
the other country's data are audited as the pages audit them (`services.request_read_record`).
Files of answers are downloaded here, but attached in the portal's pages only (a JSON API takes
no uploads)."""

from collections.abc import Callable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements.uploads import DOCUMENT_TYPES
from exchange import hits, selectors, services
from exchange.api.serializers import (
    HitCheckIn,
    HitCheckOut,
    RequestAnswerIn,
    RequestDetailOut,
    RequestExtendIn,
    RequestFilterIn,
    RequestIn,
    RequestOut,
    RequestWithdrawIn,
)
from exchange.downloads import attachment_response
from exchange.models import InformationRequest
from incidents.uploads import PHOTO_FORMATS
from portal.api.common import (
    FORBIDDEN,
    INVALID,
    INVALID_PAGE,
    NOT_FOUND,
    AnyAccept,
    call_service,
    file_responses,
)
from portal.api.pagination import PortalPagination
from portal.api.serializers import ErrorOut
from portal.models import APIScope

TOO_MANY = {
    429: OpenApiResponse(
        ErrorOut,
        description="Over the hourly limit of checks of the person or the API key; nothing was checked or "
        "recorded. `Retry-After` gives the seconds to wait.",
    )
}


def answer(result):
    """What the caller learns of a check: per country checked, hit or not and the references."""
    return {
        "checked": [
            {"country": country.country_id, "hit": country.hit, "references": [ref.reference for ref in country.hits]}
            for country in result.checked
        ],
        "not_checked": [code for code, _name in result.not_checked],
    }


class HitCheckCreate(APIView):
    """Check an identifier against partner countries' incidents, where a clause of an agreement
    in force allows this kind now. A hit gives only the holder country and its incident's
    reference; the information itself follows on a request for information. Every check is
    recorded with its purpose, and the holder is told of each hit."""

    required_scopes = {"POST": APIScope.EXCHANGE_SEARCH}

    @extend_schema(
        operation_id="exchange_hit_check",
        request=HitCheckIn,
        responses={200: HitCheckOut, **INVALID, **FORBIDDEN, **TOO_MANY},
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                location=OpenApiParameter.HEADER,
                response=[429],
                description="Seconds until the next check is allowed.",
            )
        ],
    )
    def post(self, request):
        data = HitCheckIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = call_service(hits.hit_check, actor=request.user, request=request, **data.validated_data)
        except hits.TooManyHitChecks as exc:
            raise exceptions.Throttled(
                wait=exc.retry_after, detail=_("Too many hit/no-hit checks in the last hour.")
            ) from None
        return Response(HitCheckOut(answer(result)).data)


# --- Requests for information -------------------------------------------------------------------

READ = {"GET": APIScope.REQUESTS_READ}
WRITE = {"POST": APIScope.REQUESTS_WRITE}


def _direction(principal, info_request):
    return "sent" if selectors.request_side(principal, info_request) == selectors.REQUESTING else "received"


def _answer_row(seen, info_request):
    answer = seen.answer
    for attachment in seen.attachments:
        attachment.url = reverse("api_exchange_request_attachment", args=[info_request.pk, attachment.pk])
    return {
        "id": answer.pk,
        "kind": answer.kind,
        "text": answer.text,
        "follows": answer.follows,
        "follows_by": answer.follows_by,
        "refusal_ground": answer.refusal_ground or None,
        "refusal_text": answer.refusal_text,
        "personal_data": seen.personal_data,
        "personal_data_withheld": seen.withheld,
        "answered_by": answer.answered_by_label,
        "answered_at": answer.answered_at,
        "attachments": seen.attachments,
    }


def request_detail(request, pk, *, status_code=status.HTTP_200_OK):
    """The request as the caller may see it now, read through the gate and audited as the page
    reads it (the requested country reading the request, the requesting country its answers)."""
    principal, now = request.user, timezone.now()
    info_request = selectors.request_get(principal, pk)
    answers = selectors.answers_seen_by(principal, info_request, at=now)
    services.request_read_record(actor=principal, request=info_request, http_request=request)
    if answers:
        services.request_read_record(
            actor=principal, request=info_request, action="exchange.answers_viewed", http_request=request
        )
    info_request.direction = _direction(principal, info_request)
    info_request.clock = selectors.request_clock(info_request, now)
    info_request.identifier_rows = list(info_request.identifiers.all())
    info_request.linked_rows = [
        {"reference": reference, "id": incident_id}
        for reference, incident_id in selectors.linked_incidents_seen_by(principal, info_request)
    ]
    info_request.answer_rows = [_answer_row(seen, info_request) for seen in answers]
    info_request.extension_rows = list(info_request.extensions.all())
    info_request.personal_data_allowed = selectors.personal_data_allowed(info_request, at=now)
    return Response(RequestDetailOut(info_request).data, status=status_code)


def _invalid(field, message):
    # Input, not the resource: a 400 naming the field, alike for missing and foreign ids.
    return serializers.ValidationError({field: [message]})


class RequestListCreate(GenericAPIView):
    """Requests for information the caller's agency takes part in, sent by its country or
    received by it (the country's single point of contact sees all of its country's); a partner
    system of the requesting agency sends new ones."""

    required_scopes = {**READ, **WRITE}
    serializer_class = RequestOut
    queryset = InformationRequest.objects.none()  # for the schema only; reads start from the gate
    pagination_class = PortalPagination
    filter_backends = ()

    @extend_schema(
        operation_id="exchange_requests_list",
        parameters=[RequestFilterIn],
        responses={200: RequestOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        filters = RequestFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values, now = filters.validated_data, timezone.now()
        found = selectors.request_search(
            request.user,
            box=values.get("direction", ""),
            status=values.get("status", ""),
            overdue=values["overdue"],
            q=(values.get("q") or "").strip(),
            now=now,
        ).select_related("requesting_agency", "agreement")
        page = self.paginate_queryset(found)
        rows = selectors.with_clocks(page, now)  # type: ignore[arg-type]  # never None: there is a page size
        for row in rows:
            row.direction = _direction(request.user, row)
        return self.get_paginated_response(RequestOut(rows, many=True).data)

    @extend_schema(
        operation_id="exchange_requests_send",
        request=RequestIn,
        responses={201: RequestDetailOut, **INVALID, **FORBIDDEN},
    )
    def post(self, request):
        principal = request.user
        if not selectors.acts_on_requests(principal):
            raise exceptions.PermissionDenied(_("Only liaison officers and supervisors send requests for information."))
        data = RequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement_id, hit_id = fields.pop("agreement", None), fields.pop("hit", None)
        fields["agreement"] = fields["hit"] = None
        if agreement_id is not None:
            # Only an agreement in force between the two countries can be named; any other id is
            # refused alike by the service, as if none had been given.
            fields["agreement"] = (
                selectors.agreements_in_force_between(principal.agency.country, fields["requested_country"])
                .filter(pk=agreement_id)
                .first()
            )
        if hit_id is not None:
            fields["hit"] = selectors.hit_of_own_country(principal, hit_id)
            if fields["hit"] is None:
                raise _invalid("hit", _("This hit is not from a check of your country."))
        info_request = call_service(services.request_send, actor=principal, http_request=request, **fields)
        return request_detail(request, info_request.pk, status_code=status.HTTP_201_CREATED)


class RequestDetail(APIView):
    """One request with its identifiers, linked incidents, answers and extensions. Personal data
    of the answers reaches the requesting country only while a clause of an agreement in force
    allows it, as the clause stands at this read."""

    required_scopes = READ

    @extend_schema(
        operation_id="exchange_requests_retrieve", responses={200: RequestDetailOut, **FORBIDDEN, **NOT_FOUND}
    )
    def get(self, request, pk):
        return request_detail(request, pk)


class RequestAction(APIView):
    """One action on a visible request: 404 through the gate first (alike for missing and
    foreign), then 403 unless `may(principal, request)`, then the input (400 naming each field),
    then the service (its refusals 400 or 403, and nothing changed); the answer is the request as
    the caller then sees it. Subclasses name each part."""

    required_scopes = WRITE
    may: Callable
    refusal: str
    data_class: type[serializers.Serializer]
    service: Callable
    status_code = status.HTTP_200_OK

    def post(self, request, pk):
        info_request = selectors.request_get(request.user, pk)
        if not type(self).may(request.user, info_request):
            raise exceptions.PermissionDenied(self.refusal)
        data = self.data_class(data=request.data)
        data.is_valid(raise_exception=True)
        call_service(
            type(self).service,
            request=info_request,
            actor=request.user,
            http_request=request,
            **data.validated_data,
        )
        return request_detail(request, pk, status_code=self.status_code)


def _action_schema(name, data_class, status_code):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"exchange_requests_{name}",
            request=data_class,
            responses={status_code: RequestDetailOut, **INVALID, **FORBIDDEN, **NOT_FOUND},
        )
    )


@_action_schema("answer", RequestAnswerIn, status.HTTP_201_CREATED)
class RequestAnswerCreate(RequestAction):
    """The receiving side answers: in full, in part (what follows and by when), or refuses on a
    ground of Article 6 of Directive (EU) 2023/977. Files are attached in the portal's pages only."""

    may = selectors.may_receive
    refusal = gettext_lazy("Only the receiving side answers a request.")
    data_class = RequestAnswerIn
    service = services.request_answer
    status_code = status.HTTP_201_CREATED


@_action_schema("extend", RequestExtendIn, status.HTTP_201_CREATED)
class RequestExtend(RequestAction):
    """The receiving side asks for more time: a later time limit and the reason."""

    may = selectors.may_receive
    refusal = gettext_lazy("Only the receiving side extends the time limit.")
    data_class = RequestExtendIn
    service = services.request_extend
    status_code = status.HTTP_201_CREATED


@_action_schema("withdraw", RequestWithdrawIn, status.HTTP_200_OK)
class RequestWithdraw(RequestAction):
    """The requesting agency withdraws an open request; the requested country is told."""

    may = selectors.may_withdraw
    refusal = gettext_lazy("Only the requesting agency withdraws a request.")
    data_class = RequestWithdrawIn
    service = services.request_withdraw


ATTACHMENT_TYPES = (*(content_type for _ext, content_type in PHOTO_FORMATS.values()), *DOCUMENT_TYPES)


class AnswerAttachmentDownload(APIView):
    """A file of an answer, after the same gate as its request; a file that shows or names a
    person only while a clause allows it (404 otherwise, as for a missing one)."""

    required_scopes = READ
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="exchange_requests_attachment",
        responses=file_responses(ATTACHMENT_TYPES, "the request's detail"),
    )
    def get(self, request, pk, attachment_pk):
        return attachment_response(request, request.user, pk, attachment_pk)
