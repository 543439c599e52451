"""What a station told the platform about its variable monitors (OCPP 2.0.1 N02-N06) and about one
customer (N09/N10 NotifyCustomerInformation)."""
from __future__ import annotations

from django.db import models

from stations.models import Station, StationScopedQuerySet

#: MonitorEnumType (2.0.1 §3.54).
MONITOR_TYPES = ["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"]
#: MonitoringCriterionEnumType.
MONITORING_CRITERIA = ["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"]
#: MonitoringBaseEnumType.
MONITORING_BASES = ["All", "FactoryDefault", "HardWiredOnly"]
#: Severity 0 (Danger) .. 9 (Debug), 2.0.1 N07 / §2.10.
SEVERITY_NAMES = ["Danger", "Hardware Failure", "System Failure", "Critical", "Error", "Alert", "Warning", "Notice", "Informational", "Debug"]


class VariableMonitor(models.Model):
    """One monitor a station has, as NotifyMonitoringReport listed it or SetVariableMonitoring set it.

    Keyed by the station's own monitor id (VariableMonitoringType.id); a monitor the station
    cleared (ClearVariableMonitoring Accepted/NotFound) is deleted.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="variable_monitors")
    monitor_id = models.PositiveIntegerField(help_text="The station's id of the monitor.")
    component = models.CharField(max_length=50)
    component_instance = models.CharField(max_length=50, blank=True)
    evse_id = models.PositiveIntegerField(null=True, blank=True)
    connector_id = models.PositiveIntegerField(null=True, blank=True)
    variable = models.CharField(max_length=50)
    variable_instance = models.CharField(max_length=50, blank=True)
    monitor_type = models.CharField(max_length=24)
    value = models.FloatField()
    severity = models.PositiveSmallIntegerField()
    transaction = models.BooleanField(default=False, help_text="Only active while a transaction runs.")
    #: "report" (NotifyMonitoringReport) or "set" (accepted SetVariableMonitoring).
    source = models.CharField(max_length=10)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["station", "monitor_id"]
        constraints = [models.UniqueConstraint(fields=["station", "monitor_id"], name="monitor_unique_per_station")]

    def __str__(self) -> str:
        return f"{self.station_id}#{self.monitor_id} {self.component}.{self.variable} {self.monitor_type} {self.value}"

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity] if self.severity < len(SEVERITY_NAMES) else str(self.severity)


class MonitoringSettings(models.Model):
    """What the platform last set on a station: SetMonitoringBase and SetMonitoringLevel (accepted)."""

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="monitoring_settings")
    monitoring_base = models.CharField(max_length=16, blank=True)
    monitoring_level = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "monitoring settings"


class CustomerInformationPart(models.Model):
    """One NotifyCustomerInformation (N09/N10): a part of the report for request ``request_id``.

    The platform sends the CustomerInformationRequest's Command id as its requestId, so a report
    finds the operator's request; parts are shown joined in seqNo order.
    """

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="customer_information")
    request_id = models.BigIntegerField(db_index=True)
    seq_no = models.PositiveIntegerField()
    tbc = models.BooleanField(default=False)
    data = models.TextField(blank=True, help_text="Up to 512 characters of the station's report.")
    generated_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    objects = StationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-request_id", "seq_no"]
        constraints = [
            models.UniqueConstraint(fields=["station", "request_id", "seq_no"], name="customer_information_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.station_id} request {self.request_id} part {self.seq_no}"
