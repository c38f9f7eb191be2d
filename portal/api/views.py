"""API endpoints of the shared core: who am I, and the country and agency directory."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.common import INVALID_PAGE
from portal.api.permissions import ANY_KEY
from portal.api.serializers import AgencySerializer, CountrySerializer, PrincipalSerializer
from portal.models import Agency, Country

# Who am I and the directory are open to every valid key, whatever its scopes.
ANY_KEY_READS = {"GET": ANY_KEY}


class MeView(APIView):
    """The caller as the portal sees it: a person or a partner system, its agency and rights."""

    required_scopes = ANY_KEY_READS

    @extend_schema(responses=PrincipalSerializer, operation_id="me")
    def get(self, request):
        principal = request.user
        api_key = getattr(principal, "api_key", None)
        agency = principal.agency if principal.agency_id else None
        data = {
            "kind": "api_key" if api_key else "user",
            "name": str(principal) if api_key else principal.get_username(),
            "agency": agency,
            "country": agency.country_id if agency else None,
            "roles": [] if api_key else principal.roles,
            "scopes": sorted(api_key.scopes) if api_key else [],
        }
        return Response(PrincipalSerializer(data).data)


class CountryList(generics.ListAPIView):
    """ISO 3166-1 countries."""

    required_scopes = ANY_KEY_READS

    queryset = Country.objects.order_by("code")
    serializer_class = CountrySerializer
    search_fields = ["code", "alpha3", "name"]
    ordering_fields = ["code", "name"]

    @extend_schema(responses={200: CountrySerializer(many=True), **INVALID_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AgencyFilter(filters.FilterSet):
    country = filters.CharFilter(field_name="country__code", lookup_expr="iexact", label="Country (ISO code)")

    class Meta:
        model = Agency
        fields = ["country", "kind"]


class AgencyList(generics.ListAPIView):
    """Agencies taking part in the portal."""

    required_scopes = ANY_KEY_READS

    queryset = Agency.objects.filter(is_active=True).order_by("code")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]

    @extend_schema(responses={200: AgencySerializer(many=True), **INVALID_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
