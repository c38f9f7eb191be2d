"""Border sectors API: read-only, gated. A sector of a country that is no partner now is 404."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from borders import selectors
from borders.api.serializers import (
    CrossingFilterIn,
    CrossingOut,
    NearestIn,
    NearestOut,
    SectorDetailOut,
    SectorFilterIn,
    SectorOut,
)
from borders.models import BorderSector, CrossingPoint
from portal.api.common import FORBIDDEN, INVALID, INVALID_PAGE, NOT_FOUND
from portal.models import APIScope

READ = {"GET": APIScope.BORDERS_READ}


class _List(GenericAPIView):
    required_scopes = READ
    filter_backends = ()  # filtering is the filter serializer's, validated
    filter_class: type

    def rows(self, request, filters):
        raise NotImplementedError

    def get(self, request):
        filters = self.filter_class(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.rows(request, filters.validated_data))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SectorList(_List):
    """Sectors of the caller's country and of its partners under an agreement in force."""

    serializer_class = SectorOut
    queryset = BorderSector.objects.none()  # for the schema only; reads start from the gate
    filter_class = SectorFilterIn

    def rows(self, request, filters):
        return selectors.sector_search(request.user, **filters)

    @extend_schema(
        operation_id="border_sectors_list",
        summary="Border sectors the caller's country may see",
        parameters=[SectorFilterIn],
        responses={200: SectorOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        return super().get(request)


class SectorDetail(APIView):
    """One sector with its geometry, its crossing points and its impact level history."""

    required_scopes = READ

    @extend_schema(summary="One border sector", responses={200: SectorDetailOut, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        sector = selectors.sector_get(request.user, pk)
        context = {
            "crossings": selectors.crossing_search(request.user, sector=sector),
            "history": selectors.level_history(request.user, sector),
        }
        return Response(SectorDetailOut(sector, context=context).data)


class CrossingList(_List):
    """Crossing points of the caller's country and of its partners under an agreement in force."""

    serializer_class = CrossingOut
    queryset = CrossingPoint.objects.none()  # for the schema only
    filter_class = CrossingFilterIn

    def rows(self, request, filters):
        return selectors.crossing_search(request.user, **filters)

    @extend_schema(
        operation_id="crossing_points_list",
        summary="Crossing points the caller's country may see",
        parameters=[CrossingFilterIn],
        responses={200: CrossingOut(many=True), **INVALID_PAGE, **FORBIDDEN},
    )
    def get(self, request):
        return super().get(request)


class CrossingDetail(APIView):
    required_scopes = READ

    @extend_schema(summary="One crossing point", responses={200: CrossingOut, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        return Response(CrossingOut(selectors.crossing_get(request.user, pk)).data)


class Nearest(APIView):
    """The sector and crossing point nearest to a place, of one country the caller may see."""

    required_scopes = READ

    @extend_schema(
        summary="The nearest sector and crossing point to a place",
        parameters=[NearestIn],
        responses={200: NearestOut, **INVALID, **FORBIDDEN},
    )
    def get(self, request):
        query = NearestIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        country = values.get("country")
        found = selectors.nearest(
            request.user,
            latitude=values["lat"],
            longitude=values["lon"],
            country_id=country.pk if country else None,
        )
        return Response(NearestOut(found).data)
