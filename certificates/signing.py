"""SignCertificate: record a station's CSR and sign it with the platform CA, then record the delivery
(CertificateSigned). OCPP 2.0.1 A02/A03; 1.6 Security Whitepaper."""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from certificates import pki
from certificates.authority import pki_current
from certificates.models import CertificateRequest, CertificateRequestStatus
from stations.models import Station


def certificate_request_sign(
    *, station: Station, csr: str, ocpp_version: str, certificate_type: str = "ChargingStationCertificate"
) -> CertificateRequest:
    """Record a station's CSR and sign it, or record why not.

    The caller answers SignCertificate Accepted only for an ISSUED request and then sends
    CertificateSigned with ``request.certificate`` (2.0.1 A02.FR.06: after the response).
    """
    request = CertificateRequest(
        station=station, ocpp_version=ocpp_version, certificate_type=certificate_type, csr=csr[:20000]
    )
    if certificate_type not in ("ChargingStationCertificate", "ChargePointCertificate"):
        # V2GCertificate requests go to a V2G PKI (ISO 15118), which this platform does not run.
        request.status = CertificateRequestStatus.REFUSED
        request.detail = f"{certificate_type} is signed by a V2G PKI, not by this platform"
        request.save()
        return request
    try:
        ca = pki_current()
        cert = pki.sign_csr(
            csr_pem=csr, ca_cert=ca.ca_cert, ca_key=ca.ca_key, identity=station.identity,
            days=settings.PKI_STATION_CERT_DAYS,
        )
    except (pki.CsrRefused, pki.PkiError) as exc:
        request.status = CertificateRequestStatus.REFUSED
        request.detail = str(exc)[:300]
        request.save()
        from certificates.upgrades import upgrade_certificate_delivered

        # An upgrade to profile 3 waiting for this certificate fails now, with the reason.
        upgrade_certificate_delivered(request=request)
        return request
    request.status = CertificateRequestStatus.ISSUED
    request.certificate = pki.cert_pem(cert).decode("ascii")
    request.serial_number = format(cert.serial_number, "x")
    request.common_name = station.identity
    request.not_after = cert.not_valid_after_utc
    request.save()
    return request


def certificate_request_delivered(*, request: CertificateRequest, status: str, detail: str = "") -> CertificateRequest:
    """Record the station's CertificateSignedResponse (Accepted / Rejected) or a failed delivery."""
    if status == "Accepted":
        request.status = CertificateRequestStatus.DELIVERED
        request.delivered_at = timezone.now()
    elif status == "Rejected":
        request.status = CertificateRequestStatus.REJECTED
    else:
        request.status = CertificateRequestStatus.FAILED
    request.detail = detail[:300]
    request.save(update_fields=["status", "detail", "delivered_at"])
    from certificates.upgrades import upgrade_certificate_delivered

    upgrade_certificate_delivered(request=request)
    return request
