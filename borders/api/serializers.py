"""Input and output serializers of the border sectors API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.api.serializers import CountryCodeField
from borders.models import BorderSector, CrossingKind, CrossingPoint, ImpactLevel, ImpactLevelChange


class SectorRefOut(serializers.ModelSerializer):
    """A sector named in another object (an incident, a patrol, the nearest lookup)."""

    country = serializers.CharField(source="country_id")

    class Meta:
        model = BorderSector
        fields = ["id", "code", "name", "country", "impact_level"]


class CrossingRefOut(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id")

    class Meta:
        model = CrossingPoint
        fields = ["id", "code", "name", "kind", "country"]


class CrossingOut(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id")
    sector = serializers.CharField(
        source="sector.code", allow_null=True, help_text="Code of the sector it lies in, or null."
    )

    class Meta:
        model = CrossingPoint
        fields = ["id", "code", "name", "kind", "country", "sector", "latitude", "longitude", "is_active", "updated_at"]


class SectorOut(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id")
    geometry = serializers.DictField(
        help_text="GeoJSON LineString, MultiLineString, Polygon or MultiPolygon, longitude first (WGS 84)."
    )

    class Meta:
        model = BorderSector
        fields = [
            "id",
            "code",
            "name",
            "country",
            "description",
            "geometry",
            "impact_level",
            "impact_level_since",
            "is_active",
            "updated_at",
        ]


class LevelChangeOut(serializers.ModelSerializer):
    set_by = serializers.SerializerMethodField(help_text="Username and agency of who set it.")

    class Meta:
        model = ImpactLevelChange
        fields = ["level", "previous_level", "reason", "set_by", "set_at"]

    def get_set_by(self, change) -> str:
        person = change.set_by
        if person is None:
            return ""
        agency = getattr(person, "agency", None)
        return f"{person.get_username()} ({agency.code})" if agency else person.get_username()


class SectorDetailOut(SectorOut):
    crossing_points = serializers.SerializerMethodField()
    level_history = serializers.SerializerMethodField()

    class Meta(SectorOut.Meta):
        fields = [*SectorOut.Meta.fields, "crossing_points", "level_history"]

    @extend_schema_field(CrossingOut(many=True))
    def get_crossing_points(self, sector):
        return CrossingOut(self.context["crossings"], many=True).data

    @extend_schema_field(LevelChangeOut(many=True))
    def get_level_history(self, sector):
        return LevelChangeOut(self.context["history"], many=True).data


class SectorFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search text.")
    country = CountryCodeField(required=False, help_text="Only this country's sectors.")
    level = serializers.ChoiceField(choices=ImpactLevel.choices, required=False)


class CrossingFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search text.")
    country = CountryCodeField(required=False, help_text="Only this country's crossing points.")
    kind = serializers.ChoiceField(choices=CrossingKind.choices, required=False)


class NearestIn(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude, decimal degrees.")
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude, decimal degrees.")
    country = CountryCodeField(
        required=False, help_text="The country whose sectors are searched; the caller's own when left out."
    )


class NearestOut(serializers.Serializer):
    country = serializers.CharField(help_text="The country searched.")
    sector = SectorRefOut(allow_null=True, help_text="The nearest sector in use, or null when there is none.")
    sector_km = serializers.FloatField(allow_null=True, help_text="Distance to it in km (0 inside an area).")
    crossing = CrossingRefOut(allow_null=True, help_text="The nearest crossing point in use, or null.")
    crossing_km = serializers.FloatField(allow_null=True)
