from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ocpp_gateway", "0002_verified_credential"),
    ]

    operations = [
        migrations.CreateModel(
            name="QuarantinedRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("time", models.DateTimeField(db_index=True)),
                (
                    "kind",
                    models.CharField(
                        choices=[("message", "message log"), ("status", "status notification"), ("meter", "meter values")],
                        max_length=16,
                    ),
                ),
                ("station_id", models.BigIntegerField(blank=True, null=True)),
                ("station_identity", models.CharField(blank=True, max_length=64)),
                ("error", models.CharField(max_length=500)),
                ("data", models.TextField()),
            ],
            options={"ordering": ["-time", "-id"]},
        ),
    ]
