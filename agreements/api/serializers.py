"""Input and output serializers of the agreements API."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agreements.models import (
    Agreement,
    AgreementEvent,
    AgreementKind,
    AgreementStatus,
    ClauseMode,
    DataSharingClause,
    DocumentVersion,
)
from agreements.selectors import clause_sentence
from agreements.services import AGREEMENT_FIELDS, CLAUSE_FIELDS
from portal.choices import SHAREABLE_TLP, IdentifierKind, IncidentCategory
from portal.models import Agency, Country, User

# --- Output ---------------------------------------------------------------------------------------


class PartyOut(serializers.Serializer):
    country = serializers.CharField(source="country_id")
    agency = serializers.CharField(source="agency.code")
    liaison_officers = serializers.SerializerMethodField()

    def get_liaison_officers(self, party) -> list[str]:
        return [user.username for user in party.liaison_officers.all()]


class ClauseOut(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider_id", allow_null=True)
    receiver = serializers.CharField(source="receiver_id", allow_null=True)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=IncidentCategory.choices))
    hit_no_hit_kinds = serializers.ListField(child=serializers.ChoiceField(choices=IdentifierKind.choices))
    sentence = serializers.SerializerMethodField()

    class Meta:
        model = DataSharingClause
        fields = ["id", *CLAUSE_FIELDS, "sentence"]

    def get_sentence(self, clause) -> str:
        return clause_sentence(clause)


class VersionOut(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = ["id", "number", "original_name", "content_type", "size", "sha256", "uploaded_at", "download_url"]

    def get_download_url(self, version) -> str:
        url = reverse("api_agreement_download", args=[version.document.agreement_id, version.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    versions = VersionOut(many=True)


class DisputeOut(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    status = serializers.CharField()
    raised_by_country = serializers.CharField(source="raised_by_country_id")
    created_at = serializers.DateTimeField()


class EventOut(serializers.ModelSerializer):
    class Meta:
        model = AgreementEvent
        fields = ["kind", "from_status", "to_status", "reason", "at"]


class AgreementOut(serializers.ModelSerializer):
    parties = PartyOut(many=True)
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639-1 codes.")
    supersedes: serializers.PrimaryKeyRelatedField[Agreement] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The agreement this one replaces; null for a first version."
    )

    class Meta:
        model = Agreement
        fields = ["id", "version", "status", *AGREEMENT_FIELDS, "supersedes", "parties", "updated_at"]


class AgreementDetailOut(AgreementOut):
    clauses = ClauseOut(many=True)
    documents = DocumentOut(many=True)
    disputes = DisputeOut(many=True)
    events = EventOut(many=True)

    class Meta(AgreementOut.Meta):
        fields = [*AgreementOut.Meta.fields, "clauses", "documents", "disputes", "events"]


# --- Input ----------------------------------------------------------------------------------------


class CountryCodeField(serializers.SlugRelatedField):
    """A country by its ISO code, in any letter case."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Country.objects.all(), **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


class ListFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search text.")
    partner = CountryCodeField(required=False, help_text="Only agreements this country is party to.")
    kind = serializers.ChoiceField(choices=AgreementKind.choices, required=False)
    status = serializers.ChoiceField(choices=AgreementStatus.choices, required=False)
    expiring_within = serializers.IntegerField(
        required=False, min_value=0, max_value=3650, help_text="Only agreements expiring within so many days."
    )


class PartyIn(serializers.Serializer):
    agency = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.filter(is_active=True))
    liaison_officers = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True, is_liaison=True),
        many=True,
        required=False,
    )

    def validate(self, attrs):
        # Checked here too, so that the answer names only the username it was given.
        agency = attrs["agency"]
        for person in attrs.get("liaison_officers", []):
            if person.agency_id != agency.pk:
                raise serializers.ValidationError(
                    {
                        "liaison_officers": _("%(name)s is not a liaison officer of %(agency)s.")
                        % {"name": person.username, "agency": agency.code}
                    }
                )
        return attrs


class AgreementIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AgreementKind.choices)
    reference = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(required=False, allow_blank=True)
    languages = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    signed_on = serializers.DateField(required=False, allow_null=True)
    effective_from = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)
    notice_period_days = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=3650)
    auto_renewal = serializers.BooleanField(required=False)
    renewal_months = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=120)
    parties = PartyIn(many=True)

    def party_list(self):
        return [(p["agency"], list(p.get("liaison_officers", []))) for p in self.validated_data["parties"]]

    def agreement_fields(self):
        return {k: v for k, v in self.validated_data.items() if k != "parties"}


class AgreementPatchIn(AgreementIn):
    parties = PartyIn(many=True, required=False)

    def party_list(self):
        return super().party_list() if "parties" in self.validated_data else None


class TransitionIn(serializers.Serializer):
    to = serializers.ChoiceField(choices=AgreementStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    signed_on = serializers.DateField(required=False, allow_null=True)
    effective_from = serializers.DateField(required=False, allow_null=True)


class ClauseIn(serializers.Serializer):
    provider = CountryCodeField(allow_null=True, required=False, help_text="Empty: every party.")
    receiver = CountryCodeField(allow_null=True, required=False, help_text="Empty: every other party.")
    mutual = serializers.BooleanField(required=False, default=False)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=IncidentCategory.choices), allow_empty=False
    )
    max_marking = serializers.ChoiceField(choices=SHAREABLE_TLP)
    personal_data = serializers.BooleanField(required=False, default=False)
    retention_days = serializers.IntegerField(min_value=1, max_value=3650)
    mode = serializers.ChoiceField(choices=ClauseMode.choices, default=ClauseMode.AUTOMATIC)
    purpose = serializers.CharField()
    hit_no_hit_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=IdentifierKind.choices),
        required=False,
        default=list,
        help_text="Identifier kinds the receiver may check for a hit or no hit against the provider's incidents.",
    )
