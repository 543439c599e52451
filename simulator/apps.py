from __future__ import annotations

from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    # A Django app only for its `simulate_station` command: no models, and no platform app imports it.
    name = "simulator"
    verbose_name = "Station simulator"
