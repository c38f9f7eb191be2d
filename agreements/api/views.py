"""Agreements API: reads for every principal of a party's country, writes for its liaison officers."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import iep, selectors, services
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
from agreements.uploads import DOCUMENT_TYPES
from portal.api.common import FORBIDDEN, INVALID, INVALID_PAGE, NOT_FOUND, AnyAccept, call_service, file_responses
from portal.api.permissions import PEOPLE_ONLY
from portal.gate import principal_group_id
from portal.models import APIScope

READ = {"GET": APIScope.AGREEMENTS_READ}
# Partner systems read; only people (liaison officers of a party) change agreements.
READ_PEOPLE_WRITE = {**READ, "POST": PEOPLE_ONLY, "PATCH": PEOPLE_ONLY}
PEOPLE_WRITE = {"POST": PEOPLE_ONLY}


def _require_person_who_writes(request):
    """Partner systems read; only people (liaison officers of a party) change agreements.

    Called after the agreement was found through the gate, so that others get 404 first.
    The services check the party; this answers early, before the input is read, and refuses
    API keys outright (their principal is no person and has no roles).
    """
    user = request.user
    if getattr(user, "api_key", None) is not None or not getattr(user, "is_liaison", False):
        raise exceptions.PermissionDenied(_("Only liaison officers of a party may change this agreement."))
    if principal_group_id(user) is None:
        # Someone the gate shows nothing (an inactive agency) could create what they cannot see.
        raise exceptions.PermissionDenied(_("Only liaison officers of a party may change this agreement."))


def _detail(agreement, request):
    """The detail answer, read again through the gate (after a write too)."""
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
        .filter(pk=agreement.pk)
        .first()
    )
    if agreement is None:
        raise exceptions.NotFound
    return AgreementDetailOut(agreement, context={"request": request}).data


class AgreementListCreate(GenericAPIView):
    """Agreements the caller's country is party to; liaison officers create new ones."""

    required_scopes = READ_PEOPLE_WRITE
    serializer_class = AgreementOut
    queryset = Agreement.objects.none()  # for the schema only; reads start from the gate below
    filter_backends = ()  # filtering is ListFilterIn's, validated; nothing else is accepted

    @extend_schema(
        operation_id="agreements_list",
        summary="Agreements the caller's country is party to",
        parameters=[ListFilterIn],
        responses={200: AgreementOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
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

    @extend_schema(
        summary="Create an agreement (liaison officers)",
        request=AgreementIn,
        responses={201: AgreementDetailOut, **INVALID, **FORBIDDEN},
    )
    def post(self, request):
        _require_person_who_writes(request)
        data = AgreementIn(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = call_service(
            services.agreement_create,
            parties=data.party_list(),
            actor=request.user,
            request=request,
            **data.agreement_fields(),
        )
        return Response(_detail(agreement, request), status=status.HTTP_201_CREATED)


class AgreementDetail(APIView):
    """One agreement with its parties, clauses, documents, disputes and timeline."""

    required_scopes = READ_PEOPLE_WRITE

    @extend_schema(summary="One agreement", responses={200: AgreementDetailOut, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        return Response(_detail(selectors.agreement_get(request.user, pk), request))

    @extend_schema(
        summary="Change an agreement (liaison officers of a party)",
        request=AgreementPatchIn,
        responses={200: AgreementDetailOut, **INVALID, **FORBIDDEN, **NOT_FOUND},
    )
    def patch(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _require_person_who_writes(request)
        data = AgreementPatchIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        agreement = call_service(
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

    required_scopes = PEOPLE_WRITE

    @extend_schema(
        summary="Change the status of an agreement (liaison officers of a party)",
        request=TransitionIn,
        responses={200: AgreementDetailOut, **INVALID, **FORBIDDEN, **NOT_FOUND},
    )
    def post(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _require_person_who_writes(request)
        data = TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        agreement = call_service(
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

    required_scopes = PEOPLE_WRITE

    @extend_schema(
        summary="Add a data-sharing clause (liaison officers of a party)",
        request=ClauseIn,
        responses={201: ClauseOut, **INVALID, **FORBIDDEN, **NOT_FOUND},
    )
    def post(self, request, pk):
        agreement = selectors.agreement_get(request.user, pk)
        _require_person_who_writes(request)
        data = ClauseIn(data=request.data)
        data.is_valid(raise_exception=True)
        clause = call_service(
            services.clause_save, agreement=agreement, actor=request.user, request=request, **data.validated_data
        )
        return Response(ClauseOut(clause).data, status=status.HTTP_201_CREATED)


class ClausesIEP(APIView):
    """The agreement's clauses as FIRST Information Exchange Policy 2.0 JSON."""

    required_scopes = READ

    @extend_schema(
        summary="The clauses as FIRST IEP 2.0 policies",
        responses={200: OpenApiTypes.OBJECT, **FORBIDDEN, **NOT_FOUND},
    )
    def get(self, request, pk):
        return Response(iep.clauses_as_iep(selectors.agreement_get(request.user, pk)))


class DocumentDownload(APIView):
    """The file of one document version, after the same access check as the agreement."""

    required_scopes = READ
    content_negotiation_class = AnyAccept

    @extend_schema(
        summary="Download one version of a document",
        responses=file_responses(DOCUMENT_TYPES, "the agreement's detail"),
    )
    def get(self, request, pk, version_id):
        return document_response(request, request.user, pk, version_id)
