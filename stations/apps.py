from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from stations.models import Station
        from stations.services import station_deleted_disconnect

        # Every way a station is deleted (admin, API, a network's cascade) closes its open socket.
        post_delete.connect(station_deleted_disconnect, sender=Station, dispatch_uid="station-deleted-disconnect")
