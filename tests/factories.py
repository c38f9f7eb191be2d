"""factory_boy factories for the shared core."""

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import Agency, AgencyKind, Country, User


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Border Guard {n}")
    code = factory.Sequence(lambda n: f"AG-{n:03d}")
    country = factory.LazyFunction(lambda: Country.objects.get(pk="LT"))
    kind = AgencyKind.BORDER_GUARD


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Ona"
    last_name = "Test"
    agency = factory.SubFactory(AgencyFactory)
    is_officer = True
    password = factory.PostGenerationMethodCall("set_password", "Correct-Horse-42!")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Phone"
    confirmed = True
