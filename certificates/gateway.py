"""The gateway's certificate handlers, mixed into ocpp_gateway's ChargePoint16 / ChargePoint201.

SignCertificate (2.0.1 A02/A03; 1.6 Security Whitepaper A02): sign the CSR with the platform CA
when its CN is the station identity, answer Accepted, then (after the answer, A02.FR.06) send
CertificateSigned from a background task and record the station's verdict. Each handler calls one
service; the library finds @on/@after handlers on any class in the MRO.
"""
from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

from certificates.models import CertificateRequest, CertificateRequestStatus
from certificates.services import certificate_request_delivered, certificate_request_sign

logger = logging.getLogger(__name__)


class _CertificateSigning:
    """Shared between versions: the consumer's ChargePoint provides consumer, call() and start_task()."""

    def _signed_requests(self) -> dict[str, int]:
        # csr -> CertificateRequest id, from the @on handler to its @after (same CALL).
        if not hasattr(self, "_pending_certificates"):
            self._pending_certificates = {}
        return self._pending_certificates

    async def _sign(self, csr: str, certificate_type: str) -> bool:
        request = await database_sync_to_async(certificate_request_sign)(
            station=self.consumer.station, csr=csr, ocpp_version=self.consumer.ocpp_version, certificate_type=certificate_type
        )
        if request.status != CertificateRequestStatus.ISSUED:
            logger.warning("%s: SignCertificate refused: %s", self.id, request.detail)
            return False
        self._signed_requests()[csr] = request.pk
        return True

    def _deliver_later(self, csr: str) -> None:
        request_id = self._signed_requests().pop(csr, None)
        if request_id is not None:
            self.start_task(self._deliver(request_id))

    async def _deliver(self, request_id: int) -> None:
        request = await database_sync_to_async(CertificateRequest.objects.get)(pk=request_id)
        status, detail = "", ""
        try:
            answer = await asyncio.wait_for(
                self.call(self._certificate_signed(request), suppress=False), settings.OCPP_CALL_TIMEOUT
            )
            status = answer.status
            info = getattr(answer, "status_info", None) or {}
            detail = (info.get("reason_code", "") + " " + (info.get("additional_info") or "")).strip()
        except asyncio.TimeoutError:
            detail = f"no answer to CertificateSigned within {settings.OCPP_CALL_TIMEOUT} s"
        except OCPPError as exc:
            detail = f"CertificateSigned answered with {type(exc).__name__}: {exc.description}"
        except Exception as exc:  # the socket closed under the call
            detail = f"CertificateSigned not delivered: {type(exc).__name__}"
        await database_sync_to_async(certificate_request_delivered)(request=request, status=status, detail=detail)


class CertificateHandlers16(_CertificateSigning):
    @on(Action16.sign_certificate)
    async def on_sign_certificate(self, csr: str, **kwargs):
        accepted = await self._sign(csr, "ChargePointCertificate")
        return result16.SignCertificate(status="Accepted" if accepted else "Rejected")

    @after(Action16.sign_certificate)
    def after_sign_certificate(self, csr: str, **kwargs) -> None:
        self._deliver_later(csr)

    def _certificate_signed(self, request: CertificateRequest):
        return call16.CertificateSigned(certificate_chain=request.certificate)


class CertificateHandlers201(_CertificateSigning):
    @on(Action201.sign_certificate)
    async def on_sign_certificate(self, csr: str, certificate_type: str | None = None, **kwargs):
        accepted = await self._sign(csr, certificate_type or "ChargingStationCertificate")
        return result201.SignCertificate(status="Accepted" if accepted else "Rejected")

    @after(Action201.sign_certificate)
    def after_sign_certificate(self, csr: str, **kwargs) -> None:
        self._deliver_later(csr)

    def _certificate_signed(self, request: CertificateRequest):
        return call201.CertificateSigned(certificate_chain=request.certificate, certificate_type="ChargingStationCertificate")
