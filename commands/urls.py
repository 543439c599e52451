from django.urls import re_path

from commands.views_api import StationActionListView, StationActionView, StationCommandListView
from stations.models import IDENTITY_PATTERN

urlpatterns = [
    re_path(
        rf"^charging_stations/(?P<identity>{IDENTITY_PATTERN})/commands/$",
        StationCommandListView.as_view(),
        name="station-commands",
    ),
    re_path(
        rf"^charging_stations/(?P<identity>{IDENTITY_PATTERN})/actions/$",
        StationActionListView.as_view(),
        name="station-actions",
    ),
    re_path(
        rf"^charging_stations/(?P<identity>{IDENTITY_PATTERN})/actions/(?P<action>[a-z0-9_]+)/$",
        StationActionView.as_view(),
        name="station-action",
    ),
]
