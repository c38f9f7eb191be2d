"""Loads every ISO 3166-1 country from pycountry, and makes the audit log append-only."""

import pycountry
from django.db import migrations


def load_countries(apps, schema_editor):
    Country = apps.get_model("portal", "Country")
    existing = set(Country.objects.values_list("code", flat=True))
    Country.objects.bulk_create(
        [
            Country(code=c.alpha_2, alpha3=c.alpha_3, numeric=c.numeric, name=c.name)
            for c in pycountry.countries
            if c.alpha_2 not in existing
        ]
    )


APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_audit_append_only();
"""

DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_audit_append_only();
"""


def make_audit_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_audit_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_SQL)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [
        migrations.RunPython(load_countries, migrations.RunPython.noop),
        migrations.RunPython(make_audit_append_only, drop_audit_append_only),
    ]
