from __future__ import annotations

from django.urls import path

from console.views import actions, alerts, dashboard, diagnostics, locations, networks, reservations, sessions, stations
from console.views import api_tokens, firmware_images, id_token_files, id_tokens, members, station_edit

app_name = "console"

IDENTITY = "<str:identity>"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("alerts/", alerts.alert_list, name="alert-list"),
    path("reservations/", reservations.reservation_list, name="reservation-list"),
    path("alerts/rules/<int:pk>/test/", alerts.alert_rule_test_view, name="alert-rule-test"),
    path("stations/", stations.station_list, name="station-list"),
    path("stations/add/", stations.station_add, name="station-add"),
    path("stations/export.csv", stations.station_export, name="station-export"),
    path("stations/unknown/", stations.unknown_stations, name="unknown-stations"),
    path(f"stations/{IDENTITY}/", stations.station_detail, name="station-detail"),
    path(f"stations/{IDENTITY}/status.json", stations.station_status, name="station-status"),
    path(f"stations/{IDENTITY}/maintenance/", stations.station_maintenance, name="station-maintenance"),
    path(f"stations/{IDENTITY}/registration/", stations.station_registration, name="station-registration"),
    path(f"stations/{IDENTITY}/messages/", stations.station_messages, name="station-messages"),
    path(f"stations/{IDENTITY}/sessions/", stations.station_sessions, name="station-sessions"),
    path(f"stations/{IDENTITY}/firmware/", stations.station_firmware, name="station-firmware"),
    path(f"stations/{IDENTITY}/logs/", diagnostics.station_logs, name="station-logs"),
    path(f"stations/{IDENTITY}/commands/", stations.station_commands, name="station-commands"),
    path(f"stations/{IDENTITY}/faults/", stations.station_faults, name="station-faults"),
    path(f"stations/{IDENTITY}/actions/<slug:action>/", actions.station_action, name="station-action"),
    path(f"stations/{IDENTITY}/edit/", station_edit.station_edit, name="station-edit"),
    path(f"stations/{IDENTITY}/delete/", station_edit.station_delete, name="station-delete"),
    path("id-tokens/", id_tokens.id_token_list, name="id-token-list"),
    path("id-tokens/add/", id_tokens.id_token_add, name="id-token-add"),
    path("id-tokens/export.csv", id_token_files.id_token_export, name="id-token-export"),
    path("id-tokens/import/", id_token_files.id_token_import, name="id-token-import"),
    path("id-tokens/<int:pk>/", id_tokens.id_token_edit, name="id-token-edit"),
    path("id-tokens/<int:pk>/delete/", id_tokens.id_token_delete, name="id-token-delete"),
    path("id-tokens/groups/add/", id_tokens.id_token_group_add, name="id-token-group-add"),
    path("id-tokens/groups/<int:pk>/", id_tokens.id_token_group_edit, name="id-token-group-edit"),
    path("id-tokens/groups/<int:pk>/delete/", id_tokens.id_token_group_delete, name="id-token-group-delete"),
    path("firmware/", firmware_images.firmware_list, name="firmware-list"),
    path("firmware/upload/", firmware_images.firmware_upload, name="firmware-upload"),
    path("firmware/<int:pk>/delete/", firmware_images.firmware_image_delete, name="firmware-delete"),
    path("api-token/", api_tokens.api_token, name="api-token"),
    path("commands/<int:pk>.json", actions.command_status, name="command-status"),
    path("security-upgrades/<int:pk>.json", actions.upgrade_status, name="upgrade-status"),
    path("locations/", locations.location_list, name="location-list"),
    path("locations/add/", locations.location_add, name="location-add"),
    path("locations/<int:pk>/", locations.location_detail, name="location-detail"),
    path("locations/<int:pk>/edit/", locations.location_edit, name="location-edit"),
    path("locations/<int:pk>/delete/", locations.location_delete, name="location-delete"),
    path("sessions/", sessions.session_list, name="session-list"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session-detail"),
    path("networks/", networks.network_list, name="network-list"),
    path("networks/<int:pk>/", networks.network_detail, name="network-detail"),
    path("networks/<int:pk>/users/add/", members.member_create, name="member-create"),
]
