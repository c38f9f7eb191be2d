# The change log live pages poll, and how far each person has seen it.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("incidents", "0012_sector_and_crossing_point"),
        ("portal", "0005_audit_actor_no_reverse"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IncidentChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("seq", models.BigIntegerField(blank=True, editable=False, null=True)),
            ],
        ),
        migrations.CreateModel(
            name="LiveSeen",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("seen_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="incidentchange",
            name="country",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="portal.country"),
        ),
        migrations.AddField(
            model_name="incidentchange",
            name="incident",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="incidents.incident"
            ),
        ),
        migrations.AddField(
            model_name="liveseen",
            name="country",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="portal.country"),
        ),
        migrations.AddField(
            model_name="liveseen",
            name="user",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="incidentchange",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)), fields=["id"], name="incident_change_unnumbered"
            ),
        ),
        migrations.AddIndex(
            model_name="incidentchange",
            index=models.Index(fields=["changed_at"], name="incident_change_age"),
        ),
        migrations.AddConstraint(
            model_name="incidentchange",
            constraint=models.UniqueConstraint(fields=("country", "seq"), name="incident_change_order"),
        ),
    ]
