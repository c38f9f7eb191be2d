"""Input and output serializers of the information exchange API."""

from rest_framework import serializers

from exchange.hits import PURPOSE_MAX_LENGTH
from portal.choices import IdentifierKind


class HitCheckIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentifierKind.choices, help_text="The kind of identifier.")
    value = serializers.CharField(
        max_length=40, help_text="The identifier as typed; it is read in its kind's canonical form."
    )
    country = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=2,
        help_text="ISO 3166-1 code of the country that issued a plate or a document (required for these); "
        "for a phone number, the country of a national number.",
    )
    purpose = serializers.CharField(
        max_length=PURPOSE_MAX_LENGTH,
        help_text="Why the search is made (three words at least): kept with the check, shown to the holder of a hit.",
    )


class HitCountryOut(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 code of a country that was checked.")
    hit = serializers.BooleanField(help_text="Whether it holds an incident with the identifier.")
    references = serializers.ListField(
        child=serializers.CharField(), help_text="The references of its incidents that hold it; nothing more."
    )


class HitCheckOut(serializers.Serializer):
    checked = HitCountryOut(many=True, help_text="The countries whose clauses allowed the check, now.")
    not_checked = serializers.ListField(
        child=serializers.CharField(),
        help_text="The other countries taking part in the portal: no clause allows this kind of check with them.",
    )
