from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ocpp_gateway", "0003_quarantined_row"),
    ]

    operations = [
        migrations.CreateModel(
            name="RefusedIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("identity", models.CharField(max_length=48, unique=True)),
                ("address", models.CharField(help_text="The client address of the latest attempt.", max_length=64)),
                ("attempts", models.PositiveBigIntegerField(default=1)),
                ("first_attempt_at", models.DateTimeField()),
                ("last_attempt_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "verbose_name": "refused identity",
                "verbose_name_plural": "refused identities",
                "ordering": ["-last_attempt_at"],
            },
        ),
    ]
