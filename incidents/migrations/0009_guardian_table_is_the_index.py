"""The visibility index moves into django-guardian's permission table of incidents: one table
says who may see which incident, until when and with which fields."""

import django.db.models.deletion
from django.db import migrations, models


def copy_index(apps, schema_editor):
    Visibility = apps.get_model("incidents", "IncidentVisibility")
    Permission = apps.get_model("incidents", "IncidentGroupObjectPermission")
    AuthPermission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Country = apps.get_model("portal", "Country")
    Group = apps.get_model("auth", "Group")
    Permission.objects.all().delete()
    if not Visibility.objects.exists():
        return
    content_type, _created = ContentType.objects.get_or_create(app_label="incidents", model="incident")
    view, _created = AuthPermission.objects.get_or_create(
        content_type=content_type, codename="view_incident", defaults={"name": "Can view incident"}
    )
    groups = {}
    for country in Country.objects.all():
        if country.group_id is None:
            country.group, _created = Group.objects.get_or_create(name=f"country:{country.code}")
            country.save(update_fields=["group"])
        groups[country.pk] = country.group_id
    batch = []
    for row in Visibility.objects.iterator(chunk_size=5000):
        batch.append(
            Permission(
                content_object_id=row.incident_id,
                group_id=groups[row.country_id],
                permission_id=view.pk,
                country_id=row.country_id,
                occurred_at=row.occurred_at,
                expires_at=row.expires_at,
                personal_data=row.personal_data,
                personal_data_until=row.personal_data_until,
                is_owner=row.is_owner,
            )
        )
        if len(batch) >= 5000:
            Permission.objects.bulk_create(batch)
            batch = []
    Permission.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0005_audit_actor_no_reverse"),
        ("incidents", "0008_read_time_sharing"),
    ]

    operations = [
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="country",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="portal.country"
            ),
        ),
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="occurred_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="personal_data",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="personal_data_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="incidentgroupobjectpermission",
            name="is_owner",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(copy_index, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="incidentgroupobjectpermission",
            name="country",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="portal.country"
            ),
        ),
        migrations.AlterField(
            model_name="incidentgroupobjectpermission",
            name="occurred_at",
            field=models.DateTimeField(),
        ),
        migrations.DeleteModel(name="IncidentVisibility"),
        migrations.AlterField(
            model_name="incidentgroupobjectpermission",
            name="content_object",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="visibility", to="incidents.incident"
            ),
        ),
        migrations.AddConstraint(
            model_name="incidentgroupobjectpermission",
            constraint=models.UniqueConstraint(fields=("country", "content_object"), name="visibility_unique"),
        ),
        migrations.AddIndex(
            model_name="incidentgroupobjectpermission",
            index=models.Index(fields=["country", "-occurred_at", "-content_object"], name="visibility_list"),
        ),
    ]
