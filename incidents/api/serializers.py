"""Input and output serializers of the incidents API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alerts.models import AlertType
from borders.api.serializers import CrossingRefOut, SectorRefOut
from incidents import access, identifiers
from incidents.identifiers import VALUE_MAX_LENGTH
from incidents.models import (
    PERSONAL_FIELDS,
    Incident,
    IncidentComment,
    IncidentStatus,
    Severity,
    ShareEnd,
)
from incidents.services import INCIDENT_FIELDS
from portal.api.serializers import PlannedListSerializer, PlannedRepresentation
from portal.choices import TLP, IdentifierKind, IncidentCategory
from portal.geo import parse_bbox
from portal.models import Country


class IncidentOut(PlannedRepresentation, serializers.ModelSerializer):
    """An incident as the caller may see it: personal fields are null when withheld."""

    agency = serializers.CharField(source="agency_code")
    country = serializers.CharField(source="country_id")
    personal_data_withheld = serializers.BooleanField()
    follow_up_of: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    is_exercise = serializers.BooleanField(
        read_only=True, help_text="Filed in an exercise: exercise play, not a real event."
    )
    border_sector = serializers.SerializerMethodField(
        help_text="Code of the border sector, or the name as reported when it matches no sector of the country."
    )
    crossing_point = serializers.SerializerMethodField(
        help_text="Code of the crossing point, or the name as reported when it matches none of the country."
    )
    sector = SectorRefOut(read_only=True, allow_null=True, help_text="The border sector, or null.")
    crossing = CrossingRefOut(read_only=True, allow_null=True, help_text="The nearest crossing point, or null.")

    class Meta:
        model = Incident
        list_serializer_class = PlannedListSerializer
        fields = [
            "id",
            "reference",
            "agency",
            "country",
            "status",
            "is_exercise",
            *INCIDENT_FIELDS,
            "sector",
            "crossing",
            "personal_data_withheld",
            "follow_up_of",
            "validated_at",
            "created_at",
            "updated_at",
        ]
        # Null when withheld or when the incident holds no personal data (to_representation).
        extra_kwargs = {name: {"allow_null": True} for name in PERSONAL_FIELDS}

    def get_border_sector(self, incident) -> str:
        return incident.sector.code if incident.sector_id else incident.border_sector

    def get_crossing_point(self, incident) -> str:
        return incident.crossing.code if incident.crossing_id else incident.crossing_point

    def to_representation(self, incident):
        data = super().to_representation(incident)
        if incident.personal_data_withheld or not incident.has_personal_data:
            for field in PERSONAL_FIELDS:
                data[field] = None
        return data


class GrantOut(serializers.Serializer):
    country = serializers.CharField(source="country_id")
    agreement = serializers.CharField(source="clause.agreement.reference")
    clause = serializers.IntegerField(source="clause_id")
    personal_data = serializers.BooleanField()
    granted_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoked_reason = serializers.CharField()


class IdentifierOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    value = serializers.CharField(
        allow_null=True, help_text="In its canonical form; null when withheld (a personal kind)."
    )
    country = serializers.CharField(
        source="country_id",
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code of the plate's or the document's country; null for the other kinds "
        "and when withheld.",
    )
    withheld = serializers.BooleanField(
        help_text="A document or phone number the caller's country may not see (personal data)."
    )


class IncidentDetailOut(IncidentOut):
    grants = serializers.SerializerMethodField()
    identifiers = serializers.SerializerMethodField(
        help_text="Its typed identifiers; document and phone numbers are withheld where personal data is."
    )

    class Meta(IncidentOut.Meta):
        fields = [*IncidentOut.Meta.fields, "identifiers", "grants"]

    @extend_schema_field(GrantOut(many=True))
    def get_grants(self, incident):
        return GrantOut(self.context["grants"], many=True).data

    @extend_schema_field(IdentifierOut(many=True))
    def get_identifiers(self, incident):
        # The same rule as the personal fields: what the gate's personal-data window allows now.
        shown = identifiers.seen(incident.identifiers.all(), access.personal_data_visible(incident))
        return IdentifierOut(shown, many=True).data


class IncidentFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.ChoiceField(choices=IncidentCategory.choices, required=False)
    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all(), required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    marking = serializers.ChoiceField(choices=TLP.choices, required=False)
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    bbox = serializers.CharField(required=False, help_text="Map area: west,south,east,north in decimal degrees.")
    handled_by_us = serializers.BooleanField(
        required=False, help_text="Only incidents the caller's agency took over through an accepted handover."
    )

    def validate_bbox(self, value):
        try:
            return parse_bbox(value)
        except ValueError as exc:
            raise serializers.ValidationError(f"Give the area as west,south,east,north ({exc}).") from exc

    def to_internal_value(self, data):
        data = data.copy()
        if data.get("country"):
            data["country"] = data["country"].upper()
        return super().to_internal_value(data)


class IdentifierIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    value = serializers.CharField(
        max_length=VALUE_MAX_LENGTH * 2,
        help_text="As written: a plate, a VIN, a document number, an IMO number, an MMSI or a phone number. "
        "Kept in its canonical form (capitals, no spaces or hyphens; phone numbers in E.164).",
    )
    country = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=2,
        help_text="ISO 3166-1 alpha-2: required for a plate (where it is registered) and a document (its issuer); "
        "for a phone number, the country of a national number (the incident's country otherwise); "
        "none for the other kinds.",
    )


class IncidentIn(serializers.ModelSerializer):
    follow_up_of = serializers.IntegerField(required=False, allow_null=True)
    exercise = serializers.IntegerField(
        required=False, allow_null=True, help_text="The exercise under way this incident is played in."
    )
    identifiers = IdentifierIn(
        many=True,
        required=False,
        help_text="Its typed identifiers. Document and phone numbers are personal data: they need `has_personal_data`.",
    )

    class Meta:
        model = Incident
        fields = [*INCIDENT_FIELDS, "follow_up_of", "exercise", "identifiers"]
        extra_kwargs = {
            "border_sector": {
                "help_text": "The code (or name) of a border sector of the country; a name that matches "
                "none is kept as reported."
            },
            "crossing_point": {
                "help_text": "The code (or name) of a crossing point of the country; a name that matches "
                "none is kept as reported."
            },
        }


class CommentOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = IncidentComment
        fields = ["id", "author", "body", "created_at"]

    def get_author(self, comment) -> str:
        return comment.author_label or (comment.author.get_username() if comment.author else "")


class CommentIn(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class PreviewIn(serializers.Serializer):
    country = serializers.SlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), help_text="The partner country, ISO 3166-1 alpha-2."
    )

    def to_internal_value(self, data):
        data = data.copy()
        if data.get("country"):
            data["country"] = data["country"].upper()
        return super().to_internal_value(data)


class PreviewGrantOut(GrantOut):
    end_reason = serializers.ChoiceField(choices=ShareEnd.choices, allow_blank=True)


class PreviewAlertOut(serializers.Serializer):
    identifier = serializers.UUIDField()
    sent = serializers.DateTimeField()
    msg_type = serializers.ChoiceField(choices=AlertType.choices)
    incident = serializers.JSONField(allow_null=True, help_text="What the alert shows now; null once it shows nothing.")
    reason = serializers.ChoiceField(choices=ShareEnd.choices, allow_null=True)


class PreviewOut(serializers.Serializer):
    country = serializers.CharField(source="country.pk")
    visible = serializers.BooleanField(source="access.visible")
    personal_data = serializers.BooleanField(source="access.personal_data")
    until = serializers.DateTimeField(source="access.until", allow_null=True, help_text="When the share ends by time.")
    incident = serializers.JSONField(
        source="content", allow_null=True, help_text="The incident as that country sees it."
    )
    withheld = serializers.ListField(child=serializers.CharField(), help_text="Fields that country does not receive.")
    grants = PreviewGrantOut(many=True)
    attachments = serializers.SerializerMethodField()
    alerts = PreviewAlertOut(many=True)

    def get_attachments(self, preview) -> list[str]:
        return [attachment.original_name for attachment in preview.attachments]
