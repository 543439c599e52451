import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("networks", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="network",
            name="message_retention_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Days the OCPP message log of this network's stations is kept. Empty: the platform default.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(3650)],
                verbose_name="message log retention (days)",
            ),
        ),
    ]
