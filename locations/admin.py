from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from locations.countries import COUNTRIES
from locations.models import Location
from locations.services import location_blocking_stations, location_delete
from networks.admin_mixins import NetworkScopedAdmin


class CountryInUseFilter(admin.SimpleListFilter):
    """The countries of the locations the user sees, not all 249 codes."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = model_admin.get_queryset(request).order_by("country").values_list("country", flat=True).distinct()
        return [(code, f"{code} - {COUNTRIES.get(code, code)}") for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


@admin.register(Location)
class LocationAdmin(NetworkScopedAdmin):
    list_display = ["name", "network", "country", "address", "latitude", "longitude", "station_count"]
    list_filter = [CountryInUseFilter, "network"]
    search_fields = ["name", "address"]
    fields = ["network", "name", "country", "address", "latitude", "longitude"]

    @admin.display(description="stations")
    def station_count(self, obj: Location) -> int:
        return obj.stations.count()

    def delete_view(self, request, object_id, extra_context=None):
        location = self.get_object(request, object_id)
        # Permission first: a viewer gets 403, not a list of the stations at the location.
        if not self.has_delete_permission(request, location):
            raise PermissionDenied
        stations = location_blocking_stations(location=location)
        if stations:
            self.message_user(
                request,
                f"Cannot delete location “{location.name}”: stations are still attached: {', '.join(stations)}.",
                messages.ERROR,
            )
            return redirect("admin:locations_location_change", location.pk)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj: Location) -> None:
        location_delete(location=obj)

    def delete_queryset(self, request, queryset) -> None:
        for location in queryset:
            location_delete(location=location)

    actions = ["delete_selected_checked"]

    def get_actions(self, request):
        # Django's bulk delete would bypass the rule that a location with stations stays.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete selected locations", permissions=["delete"])
    def delete_selected_checked(self, request, queryset):
        blocked = {loc.name: location_blocking_stations(location=loc) for loc in queryset}
        blocked = {name: stations for name, stations in blocked.items() if stations}
        if blocked:
            details = "; ".join(f"“{name}” has {', '.join(stations)}" for name, stations in blocked.items())
            self.message_user(request, f"Nothing was deleted: stations are still attached. {details}.", messages.ERROR)
            return None
        return delete_selected(self, request, queryset)

