"""Agreements API: reads for every principal of a party's country, writes for its liaison officers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import selectors, services
from agreements.api.serializers import (
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    AgreementPatchIn,
    ClauseIn,
    ClauseOut,
    ListFilterIn,
    TransitionIn,
)
from agreements.downloads import document_response
from agreements.models import Agreement
from portal.models import APIScope

READ = {"GET": APIScope.AGREEMENTS_READ}


def _people_only(request):
    """Partner systems read; only people (liaison officers of a party) change agreements."""
    if getattr(request.user, "api_key", None) is not None:
        raise exceptions.PermissionDenied("API keys cannot change agreements; a liaison officer does.")


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc


def _detail(agreement, request):
    agreement = (
        selectors.agreements_visible_to(request.user)
        .prefetch_related(
            "parties__agency",
            "parties__liaison_officers",
            "clauses__provider",
            "clauses__receiver",
            "documents__versions",
            "disputes",
            "events",
        )
        .get(pk=agreement.pk)
    )
    return AgreementDetailOut(agreement, context={"request": request}).data


@extend_schema(parameters=[ListFilterIn])
class AgreementListCreate(GenericAPIView):
    """Agreements the caller's country is party to; liaison officers create new ones."""

    required_scopes = READ
    serializer_class = AgreementOut
    queryset = Agreement.objects.none()  # for the schema only; reads start from the gate below

    @extend_schema(operation_id="agreements_list", responses=AgreementOut(many=True))
    def get(self, request):
        filters = ListFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        agreements = (
            selectors.agreement_search(request.user, **filters.validated_data)
            .prefetch_related("parties__agency", "parties__liaison_officers")
            .order_by("reference", "-version")
        )
        page = self.paginate_queryset(agreements)
        return self.get_paginated_response(AgreementOut(page, many=True).data)

    @extend_schema(request=AgreementIn, responses={201: AgreementDetailOut})
    def post(self, request):
        _people_only(request)
        data = AgreementIn(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = _call(
            services.agreement_create,
            parties=data.party_list(),
            actor=request.user,
            request=request,
            **data.agreement_fields(),
        )
        return Response(_detail(agreement, request), status=status.HTTP_201_CREATED)


class AgreementDetail(APIView):
    """One agreement with its parties, clauses, documents, disputes and timeline."""

    required_scopes = READ

    @extend_schema(responses=AgreementDetailOut)
    def get(self, request, pk):
        return Response(_detail(selectors.agreement_get(request.user, pk), request))

    @extend_schema(request=AgreementPatchIn, responses=AgreementDetailOut)
    def patch(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _people_only(request)
        data = AgreementPatchIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        agreement = _call(
            services.agreement_update,
            agreement=agreement,
            actor=request.user,
            request=request,
            parties=data.party_list(),
            **data.agreement_fields(),
        )
        return Response(_detail(agreement, request))


class AgreementTransition(APIView):
    """Move the agreement along its lifecycle; refused transitions say why and change nothing."""

    @extend_schema(request=TransitionIn, responses=AgreementDetailOut)
    def post(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _people_only(request)
        data = TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        agreement = _call(
            services.agreement_transition,
            agreement=agreement,
            to_status=values["to"],
            actor=request.user,
            request=request,
            reason=values.get("reason", ""),
            signed_on=values.get("signed_on"),
            effective_from=values.get("effective_from"),
        )
        return Response(_detail(agreement, request))


class ClauseCreate(APIView):
    """Add a data-sharing clause (only before the agreement is signed)."""

    @extend_schema(request=ClauseIn, responses={201: ClauseOut})
    def post(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _people_only(request)
        data = ClauseIn(data=request.data)
        data.is_valid(raise_exception=True)
        clause = _call(
            services.clause_save, agreement=agreement, actor=request.user, request=request, **data.validated_data
        )
        return Response(ClauseOut(clause).data, status=status.HTTP_201_CREATED)


class ClausesIEP(APIView):
    """The agreement's clauses as FIRST Information Exchange Policy 2.0 JSON."""

    required_scopes = READ

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk):
        return Response(selectors.clauses_as_iep(selectors.agreement_get(request.user, pk)))


class DocumentDownload(APIView):
    """The file of one document version, after the same access check as the agreement."""

    required_scopes = READ

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("version_id", int, OpenApiParameter.PATH)],
    )
    def get(self, request, pk, version_id):
        return document_response(request, request.user, pk, version_id)
