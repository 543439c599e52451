from django.urls import path

from firmware.views import firmware_download

urlpatterns = [
    # The filename is decoration for stations that name the file after the URL; the token decides.
    path("firmware/download/<str:token>/<str:filename>", firmware_download, name="firmware-download"),
]
