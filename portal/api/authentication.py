"""How callers of the API prove who they are: partner systems by API key, people by session."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from portal import services
from portal.models import AgencyAPIKey


class PartnerSystem:
    """The principal behind an API key: a system of one agency, limited to the key's scopes."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key):
        self.api_key = api_key
        self.agency = api_key.agency
        self.agency_id = api_key.agency_id

    @property
    def country(self):
        return self.agency.country

    @property
    def scopes(self):
        return frozenset(self.api_key.scopes)

    def has_scope(self, scope):
        return scope in self.scopes

    def is_verified(self):
        return True

    def get_username(self):
        return f"api-key:{self.api_key.prefix}"

    def __str__(self):
        return f"{self.agency.code} / {self.api_key.name}"


KEY_FORMAT = re.compile(r"[A-Za-z0-9]+\.[A-Za-z0-9]+")


class AgencyAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _sep, key = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        key = key.strip()
        # Keys are "<prefix>.<secret>" in letters and digits; anything else (a NUL byte, which
        # PostgreSQL refuses in text, included) is refused before the key table is read.
        if not KEY_FORMAT.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Malformed API key."), code="invalid_api_key")
        prefix = key.partition(".")[0]
        api_key = AgencyAPIKey.objects.select_related("agency__country").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed(_("Invalid API key."), code="invalid_api_key")
        if api_key.revoked:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."), code="revoked_api_key")
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."), code="expired_api_key")
        if not api_key.agency.is_active:
            raise exceptions.AuthenticationFailed(_("The agency of this API key is inactive."), code="inactive_agency")
        services.api_key_mark_used(api_key=api_key)
        return PartnerSystem(api_key), api_key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """Browser sessions count only once the second factor has been checked."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not user.is_verified():
            return None
        return result


class AgencyAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = AgencyAPIKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Send "Api-Key <key>". Keys are issued by your agency administrator.',
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = VerifiedSessionAuthentication
    name = "SessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
