from django.contrib import admin

from networks.admin_mixins import NetworkScopedAdmin
from tariffs.models import Tariff


@admin.register(Tariff)
class TariffAdmin(NetworkScopedAdmin):
    list_display = ["name", "network", "location", "id_token_group", "currency", "start_fee", "price_per_kwh",
                    "price_per_charging_hour", "price_per_idle_hour", "vat_percent", "active"]
    list_filter = ["active", "network", "currency"]
    search_fields = ["name"]
    scoped_foreign_keys = ("network", "location", "id_token_group")
    fields = ["network", "name", "location", "id_token_group", "currency", "start_fee", "price_per_kwh",
              "price_per_charging_hour", "price_per_idle_hour", "vat_percent", "active"]
