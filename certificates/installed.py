"""What the platform knows of the certificates installed on a station (GetInstalledCertificateIds,
DeleteCertificate), with the platform's own CA recognised."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from certificates import pki
from certificates.authority import ca_hash_data
from certificates.models import InstalledCertificate
from stations.models import Station


def _normalised(data: dict[str, str]) -> tuple[str, str, str]:
    # Hex case and leading zeros of the serial number vary between stations; for recognising a
    # certificate only, never for what is sent back.
    return (
        data["issuerNameHash"].lower(),
        data["issuerKeyHash"].lower(),
        data["serialNumber"].lower().lstrip("0") or "0",
    )


def same_certificate(a: dict[str, str], b: dict[str, str]) -> bool:
    """Whether two CertificateHashData name the same certificate, whatever their hex spelling."""
    return _normalised(a) == _normalised(b)


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
            # Kept exactly as reported: DeleteCertificate must echo it byte for byte (2.0.1 M04.FR.07,
            # TC_M_20); a station that reported "0A1B" does not know "a1b".
            issuer_name_hash=data["issuerNameHash"],
            issuer_key_hash=data["issuerKeyHash"],
            serial_number=data["serialNumber"],
            reported_at=now,
        )
        row.is_platform_ca = bool(platform_ca and same_certificate(row.hash_data(), platform_ca))
        rows.append(row)
    return InstalledCertificate.objects.bulk_create(rows, ignore_conflicts=True)


def installed_certificates_forget(*, station: Station, hash_data: dict[str, str]) -> int:
    """The station deleted a certificate (DeleteCertificate Accepted): drop it from what the platform knows."""
    gone = [
        row.pk
        for row in InstalledCertificate.objects.filter(station=station, hash_algorithm=hash_data["hashAlgorithm"])
        if same_certificate(row.hash_data(), hash_data)
    ]
    return InstalledCertificate.objects.filter(pk__in=gone).delete()[0]
