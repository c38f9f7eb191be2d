"""Pieces every API module shares: calling a service, the documented error answers, and serving files."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.settings import api_settings

from portal.api.serializers import ErrorOut

# Documented answers besides success; all share the error shape of portal.api.exceptions.
INVALID = {400: OpenApiResponse(ErrorOut, description="Invalid input; `fields` says which and why.")}
FORBIDDEN = {403: OpenApiResponse(ErrorOut, description="The caller may not do this.")}
NOT_FOUND = {404: OpenApiResponse(ErrorOut, description="No such object, or not one the caller may see.")}
# Lists: a page number or cursor that names no page is invalid input too (portal.api.pagination).
INVALID_PAGE = {
    400: OpenApiResponse(
        ErrorOut, description="Invalid filter, or a `page` that is no page of the list; `fields` says which and why."
    )
}
INVALID_CURSOR = {
    400: OpenApiResponse(
        ErrorOut,
        description="Invalid filter, or a `cursor` that is not one of the `next` or `previous` links; "
        "`fields` says which and why.",
    )
}


def call_service(service, **kwargs):
    """Run a service; its validation errors become DRF's (400), with field names kept."""
    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        detail = serializers.as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        raise serializers.ValidationError(detail) from exc


def file_responses(content_types, where):
    """The documented answers of a download: the file in each of `content_types`, its SHA-256
    given `where`; 403 and 404 as every read."""
    described = f"The file, with its own Content-Type; its SHA-256 is in {where}."
    return {
        **{(200, kind): OpenApiResponse(OpenApiTypes.BINARY, description=described) for kind in content_types},
        **FORBIDDEN,
        **NOT_FOUND,
    }


class AnyAccept(BaseContentNegotiation):
    """Files are served whatever the client accepts; errors are still rendered as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
