"""Information exchange API: hit/no-hit checks of identifiers by partner systems."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange import hits
from exchange.api.serializers import HitCheckIn, HitCheckOut
from portal.api.common import FORBIDDEN, INVALID, call_service
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
