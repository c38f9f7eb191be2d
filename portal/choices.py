"""Vocabularies shared by several apps: incident categories and handling markings (TLP 2.0)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentCategory(models.TextChoices):
    ILLEGAL_CROSSING = "illegal_crossing", _("illegal border crossing")
    SMUGGLING_GOODS = "smuggling_goods", _("smuggling of goods")
    SMUGGLING_DRUGS = "smuggling_drugs", _("drug smuggling")
    SMUGGLING_WEAPONS = "smuggling_weapons", _("weapons smuggling")
    SMUGGLING_TOBACCO = "smuggling_tobacco", _("tobacco smuggling")
    TRAFFICKING = "trafficking", _("trafficking in human beings")
    MIGRANT_SMUGGLING = "migrant_smuggling", _("migrant smuggling")
    DOCUMENT_FRAUD = "document_fraud", _("document fraud")
    STOLEN_VEHICLE = "stolen_vehicle", _("stolen vehicle")
    TERRORISM = "terrorism", _("terrorism-related")
    SEARCH_RESCUE = "search_rescue", _("search and rescue")
    OTHER = "other", _("other")


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 markings, from the least to the most restricted."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"

    @classmethod
    def rank(cls, value):
        return list(cls.values).index(value)


# A clause may allow sharing up to these markings; TLP:RED is never shared by a clause.
SHAREABLE_TLP = [(c.value, c.label) for c in TLP if c != TLP.RED]


class IdentifierKind(models.TextChoices):
    """Typed identifiers an incident may carry, and that hit/no-hit searches match (Prüm II):
    the kinds of a person (a document, a phone) are personal data."""

    PLATE = "plate", _("vehicle registration plate")
    VIN = "vin", _("vehicle identification number (VIN)")
    DOCUMENT = "document", _("travel or identity document number")
    IMO = "imo", _("vessel IMO number")
    MMSI = "mmsi", _("vessel MMSI")
    PHONE = "phone", _("phone number")

    @classmethod
    def personal(cls):
        """The kinds that identify a person: personal data on every path."""
        return frozenset({cls.DOCUMENT, cls.PHONE})

    @classmethod
    def with_country(cls):
        """The kinds that are read together with a country (the plate's, the document's issuer)."""
        return frozenset({cls.PLATE, cls.DOCUMENT})
