"""One JSON shape for every API error: {"error": {"status", "code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from portal import audit


def error_body(status_code, code, message, fields=None):
    return {"error": {"status": status_code, "code": code, "message": str(message), "fields": fields or {}}}


def json_error(status_code, code, message):
    return JsonResponse(error_body(status_code, code, message), status=status_code)


def portal_exception_handler(exc, context):
    # Django's own 404 and 403 become DRF's, so that they carry a code and a message.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args[:1])
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    code: str | None  # DRF's error code of the detail, else the exception's default one
    if isinstance(exc, exceptions.ValidationError):
        code, message, fields = "invalid", _("The request contains invalid data."), response.data
        if isinstance(fields, list):
            fields = {"non_field_errors": fields}
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        message, fields = detail, {}
    if isinstance(exc, exceptions.AuthenticationFailed) and request is not None:
        audit.record(
            "api.authentication_failed",
            request=request,
            actor_label="anonymous",
            details={"path": request.path, "reason": str(exc.detail)},
        )
    elif isinstance(exc, exceptions.PermissionDenied) and request is not None:
        audit.record(
            "permission.denied",
            actor=request.user,
            request=request,
            details={"path": request.path, "method": request.method},
        )
    response.data = error_body(response.status_code, code, message, fields)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Api-Key realm="api"'
    return response
