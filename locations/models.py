from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from locations.countries import COUNTRIES, COUNTRY_CHOICES
from networks.models import Network
from networks.querysets import NetworkScopedQuerySet


def country_code_validator(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(
            "Enter an ISO 3166-1 alpha-2 country code in capitals, such as NL or DE; %(value)r is not one.",
            code="invalid_country",
            params={"value": value},
        )


class LocationQuerySet(NetworkScopedQuerySet):
    pass


def validate_location_network(*, location: Location, network: Network | None) -> None:
    """A location with stations stays in their network: the other side of "the location must be in
    the station's network" (stations.models.validate_station_location). Moving it would leave its
    stations pointing into another network, whose members would then see them on their map."""
    if location.pk is None or network is None:
        return
    if location.stations.exclude(network_id=network.pk).exists():
        raise ValidationError({"network": "This location has stations in its network: move or delete them first."})


class Location(models.Model):
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    country = models.CharField(
        max_length=2,
        choices=COUNTRY_CHOICES,
        validators=[country_code_validator],
        help_text="ISO 3166-1 alpha-2, e.g. NL",
    )
    address = models.CharField(max_length=300, blank=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="unique_location_name_per_network"),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_location_network(location=self, network=self.network if self.network_id else None)
