"""The pull feed of alerts: oldest first after a cursor, so a poller never misses or repeats one."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import selectors, services
from alerts.api.serializers import AckOut, AlertFilterIn, AlertPageOut
from alerts.cap import alert_cap_xml
from alerts.models import AlertKind
from portal.api.common import FORBIDDEN, NOT_FOUND
from portal.api.serializers import ErrorOut
from portal.models import APIScope

# What each `kind` of the feed's filter keeps.
KIND_FILTERS = {
    AlertKind.INCIDENT: {"incident__isnull": False},
    AlertKind.SECTOR_LEVEL: {"sector__isnull": False},
    AlertKind.REQUEST: {"info_request__isnull": False},
}


class AlertFeed(APIView):
    """Alerts addressed to the caller's country, in the order they were committed. Pass the
    `next_after` of the last page as `after`: an alert committed late is given after it."""

    required_scopes = {"GET": APIScope.ALERTS_READ}

    @extend_schema(
        operation_id="alerts_list",
        parameters=[AlertFilterIn],
        responses={
            200: AlertPageOut,
            400: OpenApiResponse(
                ErrorOut,
                description="Invalid filter: `after` that is not a whole number of 0 or more, an unknown "
                "`msg_type` or `kind`, a `limit` out of range; `fields` says which and why.",
            ),
            **FORBIDDEN,
        },
    )
    def get(self, request):
        filters = AlertFilterIn(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        feed = selectors.feed(request.user, values.get("after"))
        if values.get("msg_type"):
            feed = feed.filter(msg_type=values["msg_type"])
        if values.get("kind"):
            feed = feed.filter(**KIND_FILTERS[values["kind"]])
        rows = selectors.alert_page(request.user, feed[: values["limit"]])
        services.mark_read(alerts=rows, principal=request.user)
        return Response(
            AlertPageOut({"results": rows, "next_after": rows[-1].seq if rows else values.get("after")}).data
        )


class AlertAck(APIView):
    """Acknowledge an alert (idempotent: the first acknowledgement stands)."""

    required_scopes = {"POST": APIScope.ALERTS_ACK}

    @extend_schema(request=None, responses={200: AckOut, **FORBIDDEN, **NOT_FOUND})
    def post(self, request, pk):
        alert = get_object_or_404(selectors.alerts_for(request.user), pk=pk)
        return Response(AckOut(services.acknowledge(alert=alert, principal=request.user, request=request)).data)


class AlertCap(APIView):
    """One alert as OASIS CAP 1.2 XML."""

    required_scopes = {"GET": APIScope.ALERTS_READ}

    @extend_schema(responses={(200, "application/cap+xml"): OpenApiTypes.STR, **FORBIDDEN, **NOT_FOUND})
    def get(self, request, pk):
        alert = get_object_or_404(selectors.alerts_for(request.user), pk=pk)
        (alert,) = selectors.alert_page(request.user, [alert])
        return HttpResponse(alert_cap_xml(alert), content_type="application/cap+xml; charset=utf-8")
