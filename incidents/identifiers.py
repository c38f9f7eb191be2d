"""Typed identifiers of incidents (plates, VINs, documents, vessels, phones): the rules of each
kind, its one canonical form, and the keyed hash that the hit/no-hit index stores instead of it.

Every path that writes an identifier reads it through `normalise`, so that the same plate typed
as "abc-123" or "ABC 123" is stored, shown and matched as "ABC123".

The rules, kind by kind:
- plate: letters A to Z and digits, 2 to 10 of them once spaces and hyphens are removed, read with
  the country that issued it (its ISO 3166-1 code): the same characters in another country are
  another plate.
- vin: ISO 3779, 17 characters, digits and capital letters but I, O and Q. The check digit (the
  9th character, ISO 3779 leaves it to each region) is mandatory for vehicles made for North
  America (49 CFR 565; their VINs start with 1 to 5): there it must be the digit (or X) computed
  from the other sixteen. Elsewhere the 9th character is the maker's to use, so it is not checked.
- document: a travel or identity document's number as printed on it, letters A to Z and digits, 5
  to 20 of them once spaces and hyphens are removed, with the issuing country. Its ICAO 9303 check
  digit belongs to the machine-readable zone, not to the number: it is not asked for or checked
  (a tenth digit cannot be told apart from the last digit of a longer national number).
- imo: the vessel's IMO number, seven digits ("IMO" before them is allowed), the last of them the
  check digit of the first six (python-stdnum's `stdnum.imo`).
- mmsi: the Maritime Mobile Service Identity of a ship station, nine digits, the first of them
  2 to 7 (the first digit of the ship's Maritime Identification Digits; other first digits are
  coast stations, groups, aircraft and devices). Whether the MID is allocated is not checked.
- phone: read by Google's libphonenumber (`phonenumbers`) with the incident's country as the
  region of a national number (or the country given with it), kept in E.164 (+37061234567).

The index (`IdentifierDigest`) holds HMAC-SHA256 digests under the `EXCHANGE_HASH_KEY` setting,
never a value: a partner's search is answered by comparing digests, and a copy of the table
without the key reveals nothing that could be tried number by number. Each digest covers the
kind, the canonical value and, for the kinds read with a country, that country. Changing the key
means computing every digest again from the stored identifiers; there is no rotation yet, so
the key is set once per deployment and kept.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import imo as stdnum_imo
from stdnum.exceptions import InvalidChecksum, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from vininfo import ValidationError as VinError
from vininfo import Vin

from portal.choices import IdentifierKind

K = IdentifierKind

# The longest canonical value of any kind (a document number; E.164 has at most 16 characters).
VALUE_MAX_LENGTH = 20
# How many identifiers one incident carries at most.
MAX_PER_INCIDENT = 50

_SEPARATORS = re.compile(r"[\s\-]+")
_ALNUM = re.compile(r"^[A-Z0-9]+$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# World manufacturer identifiers of North America (United States 1, 4, 5; Canada 2; Mexico 3).
_NORTH_AMERICA = frozenset("12345")


@dataclass(frozen=True)
class Identifier:
    """One identifier in its canonical form; `country_id` only for the kinds read with one."""

    kind: str
    value: str
    country_id: str | None = None

    @property
    def is_personal(self):
        return self.kind in K.personal()

    def digest(self, key=None):
        return digest(self, key=key)


def _country_code(country):
    code = getattr(country, "pk", country)
    return (code or "").strip().upper() or None


def _compact(value):
    return _SEPARATORS.sub("", value or "").upper()


def normalise(kind, value, country=None, *, region=None):
    """The canonical `Identifier` of one typed value, or a ValidationError saying what is wrong.

    `country`: a `Country` or its code. Required for the kinds read with a country (plate,
    document), refused for a VIN, an IMO number and an MMSI; for a phone, the country its
    national number is read in (it is not kept: E.164 carries the country calling code).
    `region`: the code of the country a phone number is read in when no country is given with
    it (the incident's country). No database is read: the caller checks that the country exists."""
    code = _country_code(country)
    if kind not in K.values:
        raise ValidationError(_("Choose the kind of identifier."), code="kind")
    kind = K(kind).value
    if not (value or "").strip():
        raise ValidationError(_("Enter the identifier."), code="required")
    if kind in K.with_country():
        if code is None:
            raise ValidationError(
                _("Give the country that issued it.")
                if kind == K.DOCUMENT
                else _("Give the country the vehicle is registered in."),
                code="country",
            )
    elif code is not None and kind != K.PHONE:
        raise ValidationError(_("This kind of identifier is not read with a country: leave it empty."), code="country")
    if kind == K.PHONE:
        return Identifier(kind, _phone(value, code or region))
    checks = {K.PLATE: _plate, K.VIN: _vin, K.DOCUMENT: _document, K.IMO: _imo, K.MMSI: _mmsi}
    canonical = checks[kind](value)
    return Identifier(kind, canonical, code if kind in K.with_country() else None)


def _plate(value):
    plate = _compact(value)
    if not _ALNUM.match(plate):
        raise ValidationError(_("A plate has only letters A to Z and digits (spaces and hyphens are ignored)."))
    if not 2 <= len(plate) <= 10:
        raise ValidationError(_("A plate has 2 to 10 letters and digits."))
    return plate


def _vin(value):
    vin = _compact(value)
    if len(vin) != 17:
        raise ValidationError(_("A VIN has 17 characters; this one has %(n)s.") % {"n": len(vin)})
    if set(vin) & set("IOQ"):
        raise ValidationError(_("A VIN never contains the letters I, O or Q (read them as 1 and 0)."))
    if not _VIN.match(vin):
        raise ValidationError(_("A VIN has only capital letters and digits."))
    if vin[0] in _NORTH_AMERICA:
        try:
            valid = Vin(vin).verify_checksum(check_year=False)
        except VinError:
            valid = False
        if not valid:
            raise ValidationError(
                _(
                    "The check digit (the 9th character) does not match the rest of the VIN; "
                    "it is mandatory for vehicles made for North America. Check each character."
                )
            )
    return vin


def _document(value):
    number = _compact(value)
    if not _ALNUM.match(number):
        raise ValidationError(
            _("A document number has only letters A to Z and digits (spaces and hyphens are ignored).")
        )
    if not 5 <= len(number) <= 20:
        raise ValidationError(_("A document number has 5 to 20 letters and digits."))
    return number


def _imo(value):
    try:
        return stdnum_imo.validate(_compact(value))
    except InvalidChecksum:
        raise ValidationError(_("The IMO number's check digit (the last one) is wrong.")) from None
    except InvalidLength:
        raise ValidationError(_("An IMO number has seven digits.")) from None
    except StdnumError:
        raise ValidationError(_("An IMO number has seven digits, with “IMO” before them or not.")) from None


def _mmsi(value):
    mmsi = _compact(value)
    if not (mmsi.isascii() and mmsi.isdigit() and len(mmsi) == 9):
        raise ValidationError(_("An MMSI has nine digits."))
    if mmsi[0] not in "234567":
        raise ValidationError(_("A ship's MMSI starts with a digit from 2 to 7."))
    return mmsi


def _phone(value, region):
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("This is not a phone number; give it with its country calling code, e.g. +370 612 34567.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This phone number does not exist in the numbering plan of its country."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse(entries: Iterable[Mapping], *, region=None):
    """The canonical identifiers of `entries` (mappings of kind, value and country), without
    repeats, in the order given. Any wrong entry raises one ValidationError under `identifiers`
    that names each wrong entry by its position and kind; so does a country that does not exist."""
    from portal.models import Country

    entries = list(entries)
    if len(entries) > MAX_PER_INCIDENT:
        raise ValidationError(
            {"identifiers": _("An incident carries at most %(n)s identifiers.") % {"n": MAX_PER_INCIDENT}}
        )
    labels = dict(K.choices)
    found, errors = [], []
    for position, entry in enumerate(entries, start=1):
        kind = entry.get("kind")
        try:
            found.append((position, normalise(kind, entry.get("value"), entry.get("country"), region=region)))
        except ValidationError as exc:
            errors.append((position, _entry_error(position, labels.get(str(kind)), exc)))
    codes = {identifier.country_id for _position, identifier in found if identifier.country_id}
    known = set(Country.objects.filter(pk__in=codes).values_list("pk", flat=True)) if codes else set()
    for position, identifier in found:
        if identifier.country_id and identifier.country_id not in known:
            message = ValidationError(_("No country has the code %(code)s.") % {"code": identifier.country_id})
            errors.append((position, _entry_error(position, labels[identifier.kind], message)))
    if errors:
        raise ValidationError({"identifiers": [message for _position, message in sorted(errors)]})
    return list(dict.fromkeys(identifier for _position, identifier in found))


def _entry_error(position, label, exc):
    text = " ".join(exc.messages)
    if label:
        return _("Identifier %(n)s (%(kind)s): %(error)s") % {"n": position, "kind": label, "error": text}
    return _("Identifier %(n)s: %(error)s") % {"n": position, "error": text}


def digest(identifier, key=None):
    """HMAC-SHA256 (hex) of one canonical identifier under `key` (the `EXCHANGE_HASH_KEY`
    setting): its kind, its country for the kinds read with one, and its value. The same plate of
    another country, or the same digits as another kind, give another digest."""
    secret = settings.EXCHANGE_HASH_KEY if key is None else key
    country = identifier.country_id if identifier.kind in K.with_country() else ""
    message = "\x1f".join(("incident-identifier", identifier.kind, country or "", identifier.value))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Shown:
    """One identifier as a reader sees it: the personal kinds are withheld from a reader who may
    not see the incident's personal data (value and country None)."""

    kind: str
    label: str
    value: str | None
    country_id: str | None
    withheld: bool


def seen(identifiers, personal_data):
    """What a reader sees of an incident's stored identifiers (`IncidentIdentifier` rows):
    everything, or the personal kinds (document, phone) withheld when `personal_data` is false."""
    labels = dict(K.choices)
    shown = []
    for row in identifiers:
        withheld = row.kind in K.personal() and not personal_data
        shown.append(
            Shown(
                kind=row.kind,
                label=str(labels.get(row.kind, row.kind)),
                value=None if withheld else row.value,
                country_id=None if withheld else row.country_id,
                withheld=withheld,
            )
        )
    return shown
