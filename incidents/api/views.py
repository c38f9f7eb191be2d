"""Incidents API. Every read starts from the gate; foreign incidents are 404 like missing ones."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import access, exercises, selectors, services
from incidents.api.serializers import (
    CommentIn,
    CommentOut,
    IncidentDetailOut,
    IncidentFilterIn,
    IncidentIn,
    IncidentOut,
    PreviewIn,
    PreviewOut,
)
from incidents.models import Incident, IncidentQuerySet
from incidents.stix import incident_bundle
from portal.api.common import FORBIDDEN, INVALID, INVALID_CURSOR, NOT_FOUND, call_service
from portal.api.pagination import PortalCursorPagination
from portal.gate import principal_country_id
from portal.models import APIScope

READ = {"GET": APIScope.INCIDENTS_READ}
WRITE = {"GET": APIScope.INCIDENTS_READ, "POST": APIScope.INCIDENTS_WRITE}


class IncidentCursor(PortalCursorPagination):
    """Newest first; a cursor, not an offset, so deep pages cost what the first one does."""

    ordering = IncidentQuerySet.LIST_ORDER
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


FILTER_NAMES = frozenset(IncidentFilterIn._declared_fields)


class IncidentListCreate(GenericAPIView):
    """Incidents the caller's country may see; an agency's own systems file drafts."""

    required_scopes = WRITE
    serializer_class = IncidentOut
    queryset = Incident.objects.none()  # for the schema only; reads start from the gate
    pagination_class = IncidentCursor
    filter_backends = ()

    @extend_schema(
        operation_id="incidents_list",
        parameters=[IncidentFilterIn],
        responses={200: IncidentOut(many=True), **INVALID_CURSOR, **FORBIDDEN},
    )
    def get(self, request):
        criteria = {}
        # Most reads (a partner system paging through the feed) give no filter: nothing to check.
        if set(request.query_params) & FILTER_NAMES:
            filters = IncidentFilterIn(data=request.query_params)
            filters.is_valid(raise_exception=True)
            criteria = filters.validated_data
        incidents = selectors.incident_search(request.user, shared_under=False, **criteria)
        page = [
            selectors.redact(i)
            for i in self.paginate_queryset(incidents)  # type: ignore[union-attr]  # never None: there is a page size
        ]
        services.foreign_list_record(actor=request.user, incidents=page, action="incident.listed", request=request)
        return self.get_paginated_response(IncidentOut(page, many=True).data)

    @extend_schema(request=IncidentIn, responses={201: IncidentDetailOut, **INVALID, **FORBIDDEN})
    def post(self, request):
        data = IncidentIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        parent_id = fields.pop("follow_up_of", None)
        parent = None
        if parent_id is not None:
            try:
                parent = selectors.incident_get(request.user, parent_id)
            except Http404:
                # Input, not the resource: a 400 naming the field, alike for missing and foreign ones.
                raise serializers.ValidationError(
                    {"follow_up_of": [_("Choose an incident your country may see.")]}
                ) from None
        exercise_id = fields.pop("exercise", None)
        if exercise_id is not None:
            fields["exercise"] = exercises.get_running(request.user, exercise_id)
            if fields["exercise"] is None:
                raise serializers.ValidationError(
                    {"exercise": [_("Choose an exercise under way that your agency takes part in.")]}
                )
        incident = call_service(
            services.incident_create, actor=request.user, follow_up_of=parent, request=request, **fields
        )
        incident = selectors.incident_get(request.user, incident.pk)
        grants = selectors.grants_seen_by(request.user, incident)
        return Response(IncidentDetailOut(incident, context={"grants": grants}).data, status=status.HTTP_201_CREATED)


class IncidentDetail(APIView):
    """One incident, redacted for the caller, with the grants the caller may know of."""

    required_scopes = READ

    @extend_schema(responses={200: IncidentDetailOut, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        services.foreign_read_record(actor=request.user, incident=incident, action="incident.viewed", request=request)
        grants = selectors.grants_seen_by(request.user, incident)
        return Response(IncidentDetailOut(incident, context={"grants": grants}).data)


class IncidentSubmit(APIView):
    """Submit a draft for validation by a supervisor."""

    required_scopes = {"POST": APIScope.INCIDENTS_WRITE}

    @extend_schema(request=None, responses={200: IncidentOut, **INVALID, **FORBIDDEN, **NOT_FOUND})
    def post(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        call_service(services.incident_submit, incident=incident, actor=request.user, request=request)
        return Response(IncidentOut(selectors.incident_get(request.user, pk)).data)


class IncidentComments(APIView):
    """Comments on an incident, by its owner and the partners it was shared with."""

    required_scopes = WRITE

    @extend_schema(responses={200: CommentOut(many=True), **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        services.foreign_read_record(actor=request.user, incident=incident, action="incident.viewed", request=request)
        comments = access.comments_seen_by(incident, principal_country_id(request.user))
        return Response(CommentOut(comments, many=True).data)

    @extend_schema(request=CommentIn, responses={201: CommentOut, **INVALID, **FORBIDDEN, **NOT_FOUND})
    def post(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        data = CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = call_service(
            services.comment_add,
            incident=incident,
            actor=request.user,
            request=request,
            body=data.validated_data["body"],
        )
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)


class IncidentStix(APIView):
    """A visible incident as a STIX 2.1 bundle (personal data is never included)."""

    required_scopes = READ

    @extend_schema(responses={(200, "application/stix+json"): OpenApiTypes.OBJECT, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        services.foreign_read_record(actor=request.user, incident=incident, action="incident.exported", request=request)
        return HttpResponse(incident_bundle(incident).serialize(), content_type="application/stix+json;version=2.1")


class IncidentPreview(APIView):
    """The owner's preview: one of its incidents as a partner country receives it now (fields
    withheld, the shares and their ends, what that country's alerts say). Built on the same
    functions as every path, so it cannot drift from what the partner gets."""

    required_scopes = READ

    @extend_schema(
        parameters=[PreviewIn],
        responses={200: PreviewOut, **INVALID, **FORBIDDEN, **NOT_FOUND},
    )
    def get(self, request, pk):
        incident = selectors.incident_get(request.user, pk)
        if incident.country_id != principal_country_id(request.user):
            raise Http404
        data = PreviewIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        country = data.validated_data["country"]
        if country.pk == incident.country_id:
            raise serializers.ValidationError({"country": [_("Choose a partner country, not your own.")]})
        return Response(PreviewOut(access.preview(incident, country)).data)
