"""API permissions: partner systems are limited to the scopes of their key, and fail closed."""

from rest_framework.permissions import BasePermission

# Values of `required_scopes` besides the scopes themselves (portal.models.APIScope):
# any valid key may call the method (who am I, the country and agency directory) ...
ANY_KEY = "any-key"
# ... or no key may, whatever its scopes (writes reserved to people, such as agreements).
PEOPLE_ONLY = "people-only"

# Methods a view serves without defining them need what GET needs.
FOLLOW_GET = {"HEAD", "OPTIONS"}


def required_scope(view, method):
    """What `view` declares for `method`, or None when it declares nothing."""
    method = "GET" if method.upper() in FOLLOW_GET else method.upper()
    return (getattr(view, "required_scopes", None) or {}).get(method)


class HasScope(BasePermission):
    """Views name what each HTTP method needs in `required_scopes`: a scope, ANY_KEY or PEOPLE_ONLY.

    A key is refused where nothing is declared: a view (or a method) added without thinking of
    keys is closed to them until it says otherwise. People signed in through the browser are
    governed by their roles and the data gate instead; the scopes concern keys only.
    """

    message = "This API key lacks the scope this request needs."

    def has_permission(self, request, view):
        api_key = getattr(request.user, "api_key", None)
        if api_key is None:
            return True
        needed = required_scope(view, request.method)
        if needed is None or needed == PEOPLE_ONLY:
            return False
        return needed == ANY_KEY or needed in api_key.scopes
