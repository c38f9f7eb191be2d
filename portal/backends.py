"""Authentication: Django's model backend and django-otp's middleware, each reading what a
signed-in person's request needs in the one query that loads the person."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models.expressions import RawSQL
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

# The person's first confirmed authenticator; written out rather than as a Subquery, whose
# compilation on every request cost more than running it.
CONFIRMED_TOTP_SQL = (
    f"SELECT d.id FROM {TOTPDevice._meta.db_table} d"  # noqa: S608  (table names only, no input)
    f" WHERE d.user_id = {get_user_model()._meta.db_table}.id AND d.confirmed ORDER BY d.id LIMIT 1"
)


class PortalModelBackend(ModelBackend):
    """Loads a person with their agency and country (the gate asks for them on every request)
    and the id of their confirmed authenticator, which `PortalOTPMiddleware` checks."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("agency__country")
        confirmed = RawSQL(CONFIRMED_TOTP_SQL, ())  # noqa: S611  (fixed SQL, no input in it)
        try:
            user = users.annotate(confirmed_totp_id=confirmed).get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class PortalOTPMiddleware(OTPMiddleware):
    """django-otp's middleware, without a query of its own when the session was verified with the
    person's confirmed authenticator: that device's existence, owner and confirmation were read
    with the person. The device itself is loaded only if something asks for it. Any other case
    (several devices, a device since removed) takes django-otp's own path."""

    def _verify_user_sync(self, request, user):
        confirmed_id = getattr(user, "confirmed_totp_id", None)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) if user.is_authenticated else None
        if confirmed_id is None or persistent_id != f"{TOTPDevice.model_label()}/{confirmed_id}":
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        user.otp_device = SimpleLazyObject(lambda: TOTPDevice.objects.get(pk=confirmed_id))
        return user
