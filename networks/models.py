from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from networks.querysets import ALL_ROLES, ROLE_ADMIN, ROLE_OPERATOR, ROLE_VIEWER, NetworkScopedQuerySet


class User(AbstractUser):
    is_account_admin = models.BooleanField(
        "account admin",
        default=False,
        help_text="Sees and manages every network of the account.",
    )


class NetworkQuerySet(NetworkScopedQuerySet):
    network_field = "id"


class Network(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="Membership", related_name="networks")
    # The OCPP message log grows with every frame: each network may keep it shorter or longer than
    # the platform's MESSAGE_RETENTION_DAYS (ocpp_gateway.services.messages_prune).
    message_retention_days = models.PositiveIntegerField(
        "message log retention (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days the OCPP message log of this network's stations is kept. Empty: the platform default.",
    )
    # The read after an Accepted boot (1.6 GetConfiguration, 2.0.1 GetBaseReport FullInventory) fills
    # the station page; a certification run (OCTT) counts it as an unexpected message, so it can be off.
    read_configuration_after_boot = models.BooleanField(
        "read the configuration after boot",
        default=True,
        help_text="After an Accepted BootNotification, read the station's configuration "
        "(OCPP 1.6 GetConfiguration, 2.0.1 GetBaseReport FullInventory). Turn off for a certification run.",
    )

    objects = NetworkQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    ROLE_CHOICES = [
        (ROLE_ADMIN, "Admin"),
        (ROLE_OPERATOR, "Operator"),
        (ROLE_VIEWER, "Viewer"),
    ]
    assert {c for c, _ in ROLE_CHOICES} == set(ALL_ROLES)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=ROLE_VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "network"], name="one_membership_per_network")]
        ordering = ["network__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.network} ({self.role})"
