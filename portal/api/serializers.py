"""Output serializers of the shared core's API."""

from rest_framework import serializers

from portal.models import Agency, Country


class CountrySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="localized_name", read_only=True)

    class Meta:
        model = Country
        fields = ["code", "alpha3", "numeric", "name"]


class AgencySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "code", "name", "country", "kind"]


class PrincipalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "api_key"])
    name = serializers.CharField()
    agency = AgencySerializer(allow_null=True)
    country = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    scopes = serializers.ListField(child=serializers.CharField())


class ErrorBodyOut(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(help_text="For invalid input: the messages of each field at fault.")


class ErrorOut(serializers.Serializer):
    """Every error answer of the API has this shape."""

    error = ErrorBodyOut()
