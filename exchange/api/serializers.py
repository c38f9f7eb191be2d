"""Input and output serializers of the information exchange API."""

from rest_framework import serializers

from agreements.api.serializers import CountryCodeField
from exchange.hits import PURPOSE_MAX_LENGTH
from exchange.models import AnswerKind, LegalBasis, RefusalGround, RequestStatus
from incidents.api.serializers import IdentifierIn
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


# --- Requests for information -------------------------------------------------------------------

DIRECTIONS = [("sent", "Sent by the caller's country"), ("received", "Received by the caller's country")]


class RequestFilterIn(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=DIRECTIONS,
        required=False,
        help_text="`sent`: requests the caller's country sent; `received`: requests it received. Both by default.",
    )
    status = serializers.ChoiceField(
        choices=[("open", "Open: sent or partly answered"), *RequestStatus.choices],
        required=False,
        help_text="Only requests in this status; `open` for every request that still owes an answer.",
    )
    overdue = serializers.BooleanField(
        required=False, default=False, help_text="Only open requests whose answer is past due now."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Search text, in the reference or the subject."
    )


class RequestIn(serializers.Serializer):
    requested_country = CountryCodeField(
        help_text="ISO 3166-1 alpha-2 code of the country asked; it must have named a single point of contact."
    )
    subject = serializers.CharField(max_length=200)
    sought = serializers.CharField(help_text="The information sought.")
    purpose = serializers.CharField(help_text="Why the information is needed (Directive (EU) 2023/977, Article 4(3)).")
    identifiers = IdentifierIn(
        many=True, required=False, default=list, help_text="The identifiers the request asks about."
    )
    linked_incidents = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of incidents the caller's country may see.",
    )
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, default=LegalBasis.DIRECTIVE)
    agreement = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="With `legal_basis` `agreement`: the id of an agreement in force today between the two countries.",
    )
    urgent = serializers.BooleanField(default=False)
    directly_accessible = serializers.BooleanField(
        default=True,
        help_text="Held in the receiver's own databases. The answer is due 8 hours after sending when urgent and "
        "directly accessible, 3 days when urgent otherwise, 7 days for every other request.",
    )
    hit = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of a hit of a check by the caller's country it follows."
    )


class RequestAnswerIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=AnswerKind.choices,
        help_text="`full` closes the request (answered), `refusal` closes it (refused), `partial` leaves it open "
        "for more answers.",
    )
    text = serializers.CharField(required=False, allow_blank=True, default="", help_text="The information provided.")
    follows = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="For a partial answer: what is still to come."
    )
    follows_by = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="For a partial answer: by when the rest follows."
    )
    refusal_ground = serializers.ChoiceField(
        choices=RefusalGround.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For a refusal: the ground of Article 6(1) of Directive (EU) 2023/977.",
    )
    refusal_text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="For a refusal: the reasons."
    )
    personal_data = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Personal data, only where a clause of an agreement in force lets the requested country give "
        "personal data to the requesting one. Files are attached in the portal's pages only.",
    )


class RequestExtendIn(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text="The new time limit: later than the current one, and to come.")
    reason = serializers.CharField(help_text="Why more time is needed.")


class RequestWithdrawIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RequestIdentifierOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    value = serializers.CharField(help_text="In its canonical form.")
    country = serializers.CharField(
        source="country_id",
        allow_null=True,
        help_text="ISO 3166-1 alpha-2 code of the plate's or the document's country; null for the other kinds.",
    )


class LinkedIncidentOut(serializers.Serializer):
    reference = serializers.CharField()
    id = serializers.IntegerField(
        allow_null=True, help_text="The incident's id where the caller's country may open it; null otherwise."
    )


class AnswerAttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    personal_data = serializers.BooleanField(help_text="It shows or names a person.")
    url = serializers.CharField(help_text="Where to download it (scope `requests:read`).")


class RequestAnswerOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AnswerKind.choices)
    text = serializers.CharField(help_text="The information provided.")
    follows = serializers.CharField(help_text="For a partial answer: what is still to come.")
    follows_by = serializers.DateTimeField(allow_null=True)
    refusal_ground = serializers.ChoiceField(choices=RefusalGround.choices, allow_null=True)
    refusal_text = serializers.CharField()
    personal_data = serializers.CharField(
        help_text="Personal data of the answer; empty when it has none, or when no clause in force now lets it "
        "reach the requesting country (`personal_data_withheld`)."
    )
    personal_data_withheld = serializers.BooleanField(
        help_text="The answer holds personal data (text or files) the caller's country may not see now."
    )
    answered_by = serializers.CharField()
    answered_at = serializers.DateTimeField()
    attachments = AnswerAttachmentOut(many=True, help_text="Its files the caller may download now.")


class RequestExtensionOut(serializers.Serializer):
    previous_due_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    reason = serializers.CharField()
    asked_by = serializers.CharField(source="asked_by_label")
    asked_at = serializers.DateTimeField()


class RequestOut(serializers.Serializer):
    """A request for information between the caller's country and another, as listed."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    direction = serializers.ChoiceField(
        choices=DIRECTIONS, help_text="`sent`: the caller's country asked; `received`: it was asked."
    )
    requesting_country = serializers.CharField(source="requesting_country_id")
    requesting_agency = serializers.CharField(source="requesting_agency.code")
    requested_country = serializers.CharField(source="requested_country_id")
    handled_by = serializers.CharField(
        source="routed_to.code", help_text="The agency of the requested country that handles it."
    )
    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    urgent = serializers.BooleanField()
    directly_accessible = serializers.BooleanField()
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices)
    agreement = serializers.CharField(
        source="agreement.reference", allow_null=True, help_text="The agreement it is based on, or null."
    )
    sent_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="When the answer is due (extensions included).")
    overdue = serializers.BooleanField(source="clock.overdue", help_text="Open and past due, now.")
    extended = serializers.BooleanField(source="clock.extended", help_text="The receiver asked for more time.")
    closed_at = serializers.DateTimeField(allow_null=True)


class RequestDetailOut(RequestOut):
    """A request for information with its identifiers, linked incidents, answers and extensions,
    as the caller may see them now: personal data of the answers only while a clause allows it."""

    requested_by = serializers.CharField(source="requester_label", help_text="The person or system that sent it.")
    sought = serializers.CharField()
    purpose = serializers.CharField()
    identifiers = RequestIdentifierOut(many=True, source="identifier_rows")
    linked_incidents = LinkedIncidentOut(many=True, source="linked_rows")
    answers = RequestAnswerOut(many=True, source="answer_rows")
    extensions = RequestExtensionOut(many=True, source="extension_rows")
    personal_data_allowed = serializers.BooleanField(
        help_text="Whether a clause in force now lets the requested country give personal data to the requesting one."
    )
