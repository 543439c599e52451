"""Issue 13: secrets a station disclosed (1.6 AuthorizationKey in GetConfiguration.conf, a 2.0.1 WriteOnly or
SecurityCtrlr.BasicAuthPassword attribute) are no longer kept; wipe the ones stored before."""
from django.db import migrations
from django.db.models import Q


def wipe(apps, schema_editor):
    ConfigurationKey = apps.get_model("stations", "ConfigurationKey")
    DeviceModelVariable = apps.get_model("stations", "DeviceModelVariable")
    ConfigurationKey.objects.filter(key__iexact="AuthorizationKey").exclude(value="").update(value="")
    DeviceModelVariable.objects.filter(
        Q(mutability="WriteOnly") | Q(component__iexact="SecurityCtrlr", variable__iexact="BasicAuthPassword")
    ).exclude(value="").update(value="")


class Migration(migrations.Migration):
    dependencies = [("stations", "0002_station_channel_name_configurationkey_and_more")]

    operations = [migrations.RunPython(wipe, migrations.RunPython.noop)]
