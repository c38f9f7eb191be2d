# An index on the visibility table, which holds a row per country and incident (millions): built
# without locking out writes on PostgreSQL (CREATE INDEX CONCURRENTLY, outside a transaction).

from django.db import migrations, models

INDEX = models.Index(fields=["country", "expires_at"], name="visibility_window_end")


def create(apps, schema_editor):
    model = apps.get_model("incidents", "IncidentGroupObjectPermission")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    model = apps.get_model("incidents", "IncidentGroupObjectPermission")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0013_live_updates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="incidentgroupobjectpermission", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
