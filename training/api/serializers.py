"""Output serializers of the training API (read-only: plans are made in the portal's pages)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from borders.api.serializers import SectorRefOut
from portal.models import Agency
from training.models import (
    ActivityStatus,
    CorrectiveAction,
    Course,
    Exercise,
    FundingSource,
    Inject,
    Patrol,
    Programme,
    ScenarioType,
)


class ListFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search text.")
    status = serializers.ChoiceField(choices=ActivityStatus.choices, required=False)
    since = serializers.DateField(required=False, help_text="Only those ending on or after this day.")
    until = serializers.DateField(required=False, help_text="Only those starting on or before this day.")


class ExerciseFilterIn(ListFilterIn):
    scenario = serializers.ChoiceField(choices=ScenarioType.choices, required=False)


class ProgrammeFilterIn(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Search text.")
    source_kind = serializers.ChoiceField(choices=FundingSource.choices, required=False)


class AssetOut(serializers.Serializer):
    kind = serializers.CharField()
    identifier = serializers.CharField()
    name = serializers.CharField()
    agency = serializers.CharField(source="agency.code")


class PatrolParticipantOut(serializers.Serializer):
    agency = serializers.CharField(source="agency.code")
    country = serializers.CharField(source="agency.country_id")
    officers = serializers.SerializerMethodField()
    assets = AssetOut(many=True)

    def get_officers(self, participant) -> list[str]:
        return [officer.username for officer in participant.officers.all()]


class PatrolReportOut(serializers.Serializer):
    summary = serializers.CharField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=1)
    distance_km = serializers.DecimalField(max_digits=8, decimal_places=1)
    observations = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    incidents = serializers.SerializerMethodField(help_text="References of the incidents the caller may see.")

    def get_incidents(self, report) -> list[str]:
        return list(self.context["visible_incidents"](report).values_list("reference", flat=True))


class PatrolOut(serializers.ModelSerializer):
    agreement = serializers.SerializerMethodField(
        help_text="Reference of the governing agreement; null when it is not shared with the caller's country."
    )
    commanding_agency = serializers.CharField(source="commanding_agency.code")
    border_sector = serializers.SerializerMethodField(
        help_text="Code of the border sector, or the name as reported when none is linked; empty when the "
        "sector is not shared with the caller's country."
    )
    sector = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = [
            "id",
            "uid",
            "title",
            "status",
            "cancel_reason",
            "agreement",
            "border_sector",
            "sector",
            "starts_at",
            "ends_at",
            "commanding_agency",
            "sequence",
            "updated_at",
        ]

    def get_border_sector(self, patrol) -> str:
        if patrol.sector_id:
            return patrol.sector.code if getattr(patrol, "sector_visible", False) else ""
        return patrol.border_sector

    @extend_schema_field(SectorRefOut(allow_null=True))
    def get_sector(self, patrol):
        # Only the gate's selectors set `sector_visible`; without it, nothing is named.
        if patrol.sector_id and getattr(patrol, "sector_visible", False):
            return SectorRefOut(patrol.sector).data
        return None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_agreement(self, patrol):
        # Only the gate's selectors set `agreement_visible`; without it, nothing is named.
        return patrol.agreement.reference if getattr(patrol, "agreement_visible", False) else None


class PatrolDetailOut(PatrolOut):
    route = serializers.DictField(allow_null=True, help_text="GeoJSON LineString or Polygon, or null.")
    participants = PatrolParticipantOut(many=True)
    report = serializers.SerializerMethodField()

    class Meta(PatrolOut.Meta):
        fields = [*PatrolOut.Meta.fields, "route", "notes", "participants", "report"]

    @extend_schema_field(PatrolReportOut(allow_null=True))
    def get_report(self, patrol):
        report = getattr(patrol, "report", None)
        return PatrolReportOut(report, context=self.context).data if report else None


class ParticipantOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    agency = serializers.CharField(
        source="user.agency.code", allow_null=True, help_text="Null for a person of no agency."
    )
    role = serializers.CharField()


class InjectOut(serializers.ModelSerializer):
    recipient = serializers.IntegerField(source="recipient_id")

    class Meta:
        model = Inject
        fields = ["at", "description", "recipient"]


class ObservationOut(serializers.Serializer):
    kind = serializers.CharField()
    text = serializers.CharField()


class ObjectiveOut(serializers.Serializer):
    text = serializers.CharField()
    observations = ObservationOut(many=True)


class CorrectiveActionOut(serializers.ModelSerializer):
    """An SOP the caller's country is not party to is only said to be linked (`sop_linked`), not named."""

    owner_agency = serializers.CharField(source="owner_agency.code")
    sop_linked = serializers.SerializerMethodField(help_text="Whether the action changes an SOP document.")
    sop = serializers.SerializerMethodField(
        help_text="Reference of the SOP; null when there is none or it is not shared with the caller's country."
    )
    sop_document = serializers.SerializerMethodField(help_text="Title of the SOP document; null as for `sop`.")
    closed_by_version = serializers.SerializerMethodField(
        help_text="Number of the SOP document version that closed the action; null as for `sop`."
    )
    closing_note = serializers.SerializerMethodField()

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "description",
            "owner_agency",
            "due_on",
            "status",
            "sop_linked",
            "sop",
            "sop_document",
            "closed_by_version",
            "closing_note",
            "closed_at",
        ]

    @staticmethod
    def _sop_named(action):
        # Only `selectors.corrective_actions_for` sets `sop_visible`; without it, nothing is named.
        return action.sop_document_id is not None and getattr(action, "sop_visible", False)

    def get_sop_linked(self, action) -> bool:
        return action.sop_document_id is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sop(self, action):
        return action.sop_document.agreement.reference if self._sop_named(action) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_sop_document(self, action):
        return action.sop_document.title if self._sop_named(action) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_closed_by_version(self, action):
        if action.closed_by_version_id is None or not self._sop_named(action):
            return None
        return action.closed_by_version.number

    def get_closing_note(self, action) -> str:
        # The note written when a new SOP version closes the action names the document.
        if action.sop_document_id is not None and not self._sop_named(action):
            return ""
        return action.closing_note


class AfterActionOut(serializers.Serializer):
    summary = serializers.CharField()
    lessons_learned = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class ExerciseOut(serializers.ModelSerializer):
    host_agency = serializers.CharField(source="host_agency.code")
    agencies: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    is_exercise = serializers.BooleanField(default=True, read_only=True, help_text="Always true: exercise play.")

    class Meta:
        model = Exercise
        fields = [
            "id",
            "uid",
            "title",
            "scenario",
            "status",
            "cancel_reason",
            "host_agency",
            "agencies",
            "starts_at",
            "ends_at",
            "location",
            "is_exercise",
            "sequence",
            "updated_at",
        ]


class ExerciseDetailOut(ExerciseOut):
    objectives = ObjectiveOut(many=True)
    participants = ParticipantOut(many=True)
    injects = InjectOut(many=True)
    after_action = serializers.SerializerMethodField()
    corrective_actions = serializers.SerializerMethodField()

    class Meta(ExerciseOut.Meta):
        fields = [
            *ExerciseOut.Meta.fields,
            "description",
            "objectives",
            "participants",
            "injects",
            "after_action",
            "corrective_actions",
        ]

    @extend_schema_field(AfterActionOut(allow_null=True))
    def get_after_action(self, exercise):
        report = getattr(exercise, "after_action", None)
        return AfterActionOut(report).data if report else None

    @extend_schema_field(CorrectiveActionOut(many=True))
    def get_corrective_actions(self, exercise):
        return CorrectiveActionOut(self.context["corrective_actions"](exercise), many=True).data


class TraineeOut(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    agency = serializers.CharField(
        source="user.agency.code", allow_null=True, help_text="Null for a person of no agency."
    )
    completed = serializers.BooleanField()


class CourseOut(serializers.ModelSerializer):
    trainer_agency = serializers.CharField(source="trainer_agency.code")
    trainees = TraineeOut(many=True)

    class Meta:
        model = Course
        fields = ["id", "uid", "title", "place", "trainer_agency", "starts_at", "ends_at", "status", "trainees"]


class MeasurementOut(serializers.Serializer):
    measured_on = serializers.DateField()
    value = serializers.DecimalField(max_digits=12, decimal_places=2)


class IndicatorOut(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField()
    baseline = serializers.DecimalField(max_digits=12, decimal_places=2)
    target = serializers.DecimalField(max_digits=12, decimal_places=2)
    measurements = MeasurementOut(many=True)


class ProgrammeOut(serializers.ModelSerializer):
    funder_country = serializers.CharField(source="funder_country_id", allow_null=True)
    agencies: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "title",
            "source_kind",
            "funder_name",
            "funder_country",
            "budget",
            "spent",
            "currency",
            "starts_on",
            "ends_on",
            "agencies",
            "updated_at",
        ]


class ProgrammeDetailOut(ProgrammeOut):
    courses = CourseOut(many=True)
    indicators = IndicatorOut(many=True)

    class Meta(ProgrammeOut.Meta):
        fields = [*ProgrammeOut.Meta.fields, "description", "courses", "indicators"]
