"""Tariffs: what a network charges for a session, and the rule that picks one (2.0.1 I blocks).

A network has one default tariff and may have more specific ones per location, per id-token group,
or per both; the most specific active one applies (``Tariff.objects.for_session``).
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from locations.models import Location
from networks.models import Network
from networks.querysets import NetworkScopedQuerySet
from sessions.models import IdTokenGroup

MONEY = {"max_digits": 12, "decimal_places": 4, "default": Decimal("0"), "validators": [MinValueValidator(Decimal("0"))]}


class TariffQuerySet(NetworkScopedQuerySet):
    network_field = "network_id"

    def for_scope(self, *, network_id: int, location_id: int | None, group_id: int | None) -> Tariff | None:
        """The most specific active tariff: location and group, then group, then location, then the default."""
        candidates = self.filter(network_id=network_id, active=True).filter(
            Q(location__isnull=True) | Q(location_id=location_id),
            Q(id_token_group__isnull=True) | Q(id_token_group_id=group_id),
        )
        best = None
        for tariff in candidates:
            rank = (tariff.id_token_group_id is not None, tariff.location_id is not None)
            if best is None or rank > best[0]:
                best = (rank, tariff)
        return None if best is None else best[1]


class Tariff(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="tariffs")
    name = models.CharField(max_length=100)
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="tariffs",
        help_text="Only sessions at this location. Empty: every location of the network.",
    )
    id_token_group = models.ForeignKey(
        IdTokenGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="tariffs",
        verbose_name="id token group", help_text="Only sessions started by a token of this group. Empty: every token.",
    )
    currency = models.CharField(
        max_length=3, default="EUR", validators=[RegexValidator(r"^[A-Z]{3}$", "An ISO 4217 code such as EUR.")]
    )
    start_fee = models.DecimalField(**MONEY, help_text="Charged once per session.")
    price_per_kwh = models.DecimalField("price per kWh", **MONEY)
    price_per_charging_hour = models.DecimalField(
        **MONEY, help_text="From the start until the last reading that shows energy flowing."
    )
    price_per_idle_hour = models.DecimalField(
        **MONEY, help_text="From the end of charging until the session ends (the car still plugged in)."
    )
    vat_percent = models.DecimalField(
        "VAT %", max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Added to the net price; every price above is net.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TariffQuerySet.as_manager()

    class Meta:
        ordering = ["network", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # One active tariff per scope, or which one applies would be a guess (a database constraint
        # cannot say it on SQLite: the empty location and group are NULLs, which never clash).
        tariff_scope_validate(self)


def tariff_scope_validate(tariff: Tariff) -> None:
    """The location and the group must be the tariff's network's, and its scope free while active."""
    errors = {}
    if tariff.location_id and tariff.network_id and tariff.location.network_id != tariff.network_id:
        errors["location"] = "This location belongs to another network."
    if tariff.id_token_group_id and tariff.network_id and tariff.id_token_group.network_id != tariff.network_id:
        errors["id_token_group"] = "This group belongs to another network."
    if not errors and tariff.active and tariff.network_id:
        clash = Tariff.objects.filter(
            network_id=tariff.network_id, location_id=tariff.location_id,
            id_token_group_id=tariff.id_token_group_id, active=True,
        ).exclude(pk=tariff.pk)
        if clash.exists():
            errors["active"] = f"The active tariff {clash.first().name!r} already has this scope: deactivate it first."
    if errors:
        raise ValidationError(errors)
