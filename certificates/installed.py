"""What the platform knows of the certificates installed on a station (GetInstalledCertificateIds,
DeleteCertificate), with the platform's own CA recognised."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from certificates import pki
from certificates.authority import ca_hash_data
from certificates.models import InstalledCertificate
from stations.models import Station


@transaction.atomic
def installed_certificates_replace(*, station: Station, reported: list[dict], certificate_types: list[str] | None = None) -> list[InstalledCertificate]:
    """Replace what the platform knows of the station's certificates with what it just reported.

    ``reported`` holds 2.0.1 CertificateHashDataChainType items ({"certificateType", "certificateHashData"})
    or 1.6 CertificateHashDataType items with ``certificateType`` added by the caller.
    """
    existing = InstalledCertificate.objects.filter(station=station)
    if certificate_types:
        existing = existing.filter(certificate_type__in=certificate_types)
    existing.delete()
    try:
        platform_ca = ca_hash_data()
    except pki.PkiError:
        platform_ca = None
    now = timezone.now()
    rows = []
    for item in reported:
        data = item.get("certificateHashData", item)
        row = InstalledCertificate(
            station=station,
            certificate_type=item.get("certificateType", ""),
            hash_algorithm=data["hashAlgorithm"],
            issuer_name_hash=data["issuerNameHash"].lower(),
            issuer_key_hash=data["issuerKeyHash"].lower(),
            serial_number=data["serialNumber"].lower().lstrip("0") or "0",
            reported_at=now,
        )
        row.is_platform_ca = bool(
            platform_ca
            and row.issuer_name_hash == platform_ca["issuerNameHash"]
            and row.issuer_key_hash == platform_ca["issuerKeyHash"]
            and row.serial_number == platform_ca["serialNumber"]
        )
        rows.append(row)
    return InstalledCertificate.objects.bulk_create(rows, ignore_conflicts=True)
