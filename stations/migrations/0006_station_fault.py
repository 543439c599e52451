import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0004_station_boot_pending_station_boot_pending_interval"),
    ]

    operations = [
        migrations.CreateModel(
            name="StationFault",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("evse_id", models.PositiveIntegerField()),
                ("connector_id", models.PositiveIntegerField(blank=True, null=True)),
                ("status", models.CharField(max_length=20)),
                ("error_code", models.CharField(blank=True, max_length=50)),
                ("error_info", models.CharField(blank=True, max_length=500)),
                ("vendor_error_code", models.CharField(blank=True, max_length=50)),
                ("started_at", models.DateTimeField(help_text="The timestamp of the report that raised it.")),
                (
                    "cleared_at",
                    models.DateTimeField(blank=True, help_text="The timestamp of the report that cleared it.", null=True),
                ),
                ("cleared_by", models.CharField(blank=True, help_text="The status that cleared it.", max_length=20)),
                (
                    "station",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="faults", to="stations.station"
                    ),
                ),
            ],
            options={
                "verbose_name": "station fault",
                "ordering": ["-started_at", "-id"],
                "indexes": [
                    models.Index(fields=["station", "-started_at"], name="station_fault_history_idx"),
                    models.Index(fields=["station", "cleared_at"], name="station_fault_open_idx"),
                ],
            },
        ),
    ]
