"""Sessions and samples stored before station numbers were bounded (stations.bounds) may hold
infinite or absurd values (a "1e308" kWh reading): strict JSON cannot carry infinity, so /api/sessions/
answered 500 for the whole page. Such values carry no information: they are cleared.

The bounds are copied here rather than imported: a migration must not change when the module does.
"""
from __future__ import annotations

from django.db import migrations
from django.db.models import Q

MAX_ENERGY_WH = 1e12
MAX_POWER_W = 1e7
MAX_CURRENT_A = 1e4


def outside(field: str, limit: float) -> Q:
    # Infinity compares greater than any number; so does NaN on PostgreSQL (SQLite stores NaN as NULL).
    return Q(**{f"{field}__gt": limit}) | Q(**{f"{field}__lt": -limit})


def clamp(apps, schema_editor) -> None:
    Session = apps.get_model("charging_sessions", "Session")
    MeterSample = apps.get_model("charging_sessions", "MeterSample")
    bad_energy = outside("energy_wh", MAX_ENERGY_WH) | outside("meter_start_wh", MAX_ENERGY_WH) | outside(
        "meter_stop_wh", MAX_ENERGY_WH
    )
    Session.objects.filter(bad_energy).update(energy_wh=0, meter_start_wh=None, meter_stop_wh=None)
    Session.objects.filter(outside("peak_power_w", MAX_POWER_W)).update(peak_power_w=None)
    for field, limit in (("energy_wh", MAX_ENERGY_WH), ("power_w", MAX_POWER_W), ("current_a", MAX_CURRENT_A)):
        MeterSample.objects.filter(outside(field, limit)).update(**{field: None})
    MeterSample.objects.filter(Q(soc__gt=100) | Q(soc__lt=0)).update(soc=None)


class Migration(migrations.Migration):
    dependencies = [("charging_sessions", "0002_session_order_indexes")]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
