"""Pagination of the API: pages by number or by cursor; a page that cannot be given is a 400.

DRF answers a bad page number or cursor with 404, as if the list were missing; here it is
invalid input like any other, in the error shape of portal.api.exceptions, naming the parameter.
"""

import binascii
from base64 import b64decode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination


class PortalPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            raise serializers.ValidationError(
                {self.page_query_param: [_("There is no such page: give a page number of this list.")]}
            ) from exc


class PortalCursorPagination(CursorPagination):
    """A cursor is only what the `next` and `previous` links hold; anything else is refused (DRF
    reads a cursor leniently: stray characters are dropped, and a position that is no value of
    the ordering field fails only in the query)."""

    invalid_cursor_message = _(  # type: ignore[assignment]  # a lazy translation, where the stubs say str
        "The cursor is not valid: follow the `next` or `previous` link of a page."
    )

    def _invalid(self):
        return serializers.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded:
                b64decode(encoded.encode("ascii"), validate=True)
            return super().decode_cursor(request)
        except (binascii.Error, UnicodeError, exceptions.NotFound) as exc:
            raise self._invalid() from exc

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as exc:
            # The cursor's position is compared with the ordering field in the query.
            raise self._invalid() from exc
