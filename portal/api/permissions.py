"""API permissions: partner systems are limited to the scopes of their key."""

from rest_framework.permissions import BasePermission


class HasScope(BasePermission):
    """Views name the scope each HTTP method needs in `required_scopes`.

    People signed in through the browser are governed by their roles and the data gate
    instead; the scopes concern keys only.
    """

    message = "This API key lacks the scope this request needs."

    def has_permission(self, request, view):
        api_key = getattr(request.user, "api_key", None)
        if api_key is None:
            return True
        needed = getattr(view, "required_scopes", {}).get(request.method)
        return needed is None or needed in api_key.scopes
