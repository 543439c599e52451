"""A simulated 2.0.1 station's side of security profiles 2 and 3 (``simulator.v201``).

Mix ``SecurityProfilesMixin201`` into the simulated station before its protocol class. It keeps
network connection profiles in slots and connects along OCPPCommCtrlr.NetworkConfigurationPriority,
falling back to the next slot when a connection fails (2.0.1 B10); trusts the CSMS root
certificates InstallCertificate gave it; lists and deletes them (M03/M04); builds a CSR when
triggered (A02) and presents the signed certificate on profile 3.

The station needs from its host class: ``identity``, ``password``, ``base_url``, ``variables``
(the 2.0.1 device model), ``request()``, ``spawn()``, ``record()`` and ``connect()``.
"""
from __future__ import annotations

import logging
import ssl
import tempfile
from pathlib import Path
from typing import Any

from ocpp.routing import on
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from certificates import pki

logger = logging.getLogger(__name__)

_PRIORITY = ("OCPPCommCtrlr", None, None, "NetworkConfigurationPriority", None)
_PROFILE = ("SecurityCtrlr", None, None, "SecurityProfile", None)


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    names = {"hashAlgorithm": "hash_algorithm", "issuerNameHash": "issuer_name_hash", "issuerKeyHash": "issuer_key_hash", "serialNumber": "serial_number"}
    return {names.get(k, k): v for k, v in data.items()}


class SecurityProfilesMixin201:
    """Network profiles and certificates for a simulated 2.0.1 station."""

    def _security(self) -> dict[str, Any]:
        state = self.__dict__.get("_security_state")
        if state is None:
            scheme_profile = 2 if self.base_url.startswith("wss://") else 1
            state = self.__dict__["_security_state"] = {
                "profiles": {0: {"url": self.base_url, "profile": scheme_profile}},
                "trusted": [],
                "key": pki.generate_key(),
                "certificate": None,
                "slot": 0,
            }
        return state

    @property
    def trusted_certificates(self) -> list[str]:
        return self._security()["trusted"]

    @property
    def client_certificate(self) -> str | None:
        return self._security()["certificate"]

    @property
    def connected_slot(self) -> int:
        return self._security()["slot"]

    # -- connecting along the priority list ---------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext | None:
        state = self._security()
        entry = state["profiles"][state["slot"]]
        if not entry["url"].startswith("wss://"):
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata="".join(state["trusted"]) or None)
        if entry["profile"] == 3 and state["certificate"]:
            directory = Path(tempfile.mkdtemp(prefix="sim-cert-"))
            (directory / "cert.pem").write_text(state["certificate"])
            (directory / "key.pem").write_bytes(pki.key_pem(state["key"]))
            context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
        return context

    async def connect(self) -> str | None:
        state = self._security()
        priority = [int(s) for s in (self.variables[_PRIORITY].value or "0").split(",") if s.strip().isdigit()]
        password = self.password
        errors = []
        for slot in [s for s in priority if s in state["profiles"]] or [0]:
            entry = state["profiles"][slot]
            state["slot"] = slot
            self.base_url = entry["url"] if entry["url"].endswith("/") else entry["url"] + "/"
            # Profile 3 authenticates with the certificate alone (A00.FR.4xx): no Basic header.
            self.password = None if entry["profile"] == 3 else password
            try:
                subprotocol = await super().connect()
            except Exception as exc:  # noqa: BLE001 - B10: try the next slot
                errors.append(f"slot {slot}: {exc!r}")
                continue
            finally:
                self.password = password
            self.variables[_PROFILE].value = str(entry["profile"])
            return subprotocol
        raise ConnectionError("; ".join(errors))

    # -- certificates ---------------------------------------------------------------------------------

    @property
    def TRIGGERABLE(self) -> tuple[str, ...]:  # noqa: N802 - extends the host's class attribute
        return (*super().TRIGGERABLE, "SignChargingStationCertificate")

    def send_triggered(self, requested_message: str, connector_ids: list[int]) -> None:
        if requested_message == "SignChargingStationCertificate":
            self.spawn(self.request_certificate())
            return
        super().send_triggered(requested_message, connector_ids)

    @on("InstallCertificate")
    def on_install_certificate(self, certificate_type: str, certificate: str, **kwargs):
        self.record("InstallCertificate", {"certificate_type": certificate_type})
        try:
            pki.load_certificate(certificate.encode())
        except pki.PkiError:
            return result201.InstallCertificate(status="Rejected")
        if certificate_type == "CSMSRootCertificate" and certificate not in self.trusted_certificates:
            self.trusted_certificates.append(certificate)
        return result201.InstallCertificate(status="Accepted")

    @on("GetInstalledCertificateIds")
    def on_get_installed_certificate_ids(self, certificate_type: list[str] | None = None, **kwargs):
        self.record("GetInstalledCertificateIds", {"certificate_type": certificate_type})
        if certificate_type and "CSMSRootCertificate" not in certificate_type:
            return result201.GetInstalledCertificateIds(status="NotFound")
        chain = [
            {"certificate_type": "CSMSRootCertificate", "certificate_hash_data": _snake(self._hash(pem))}
            for pem in self.trusted_certificates
        ]
        if not chain:
            return result201.GetInstalledCertificateIds(status="NotFound")
        return result201.GetInstalledCertificateIds(status="Accepted", certificate_hash_data_chain=chain)

    @on("DeleteCertificate")
    def on_delete_certificate(self, certificate_hash_data: dict[str, Any], **kwargs):
        self.record("DeleteCertificate", {"certificate_hash_data": certificate_hash_data})
        for pem in self.trusted_certificates:
            if _snake(self._hash(pem)) == certificate_hash_data:
                self.trusted_certificates.remove(pem)
                return result201.DeleteCertificate(status="Accepted")
        return result201.DeleteCertificate(status="NotFound")

    @staticmethod
    def _hash(pem: str) -> dict[str, str]:
        return pki.certificate_hash_data(pki.load_certificate(pem.encode()))

    async def request_certificate(self) -> str:
        """A02: send a CSR for this station's identity; the certificate arrives in CertificateSigned."""
        csr = pki.build_csr(key=self._security()["key"], common_name=self.identity, organization="Switch")
        answer = await self.request(call201.SignCertificate(csr=csr, certificate_type="ChargingStationCertificate"))
        return answer.status

    @on("CertificateSigned")
    def on_certificate_signed(self, certificate_chain: str, certificate_type: str | None = None, **kwargs):
        self.record("CertificateSigned", {"certificate_type": certificate_type})
        try:
            certificate = pki.load_certificate(certificate_chain.encode())
        except pki.PkiError:
            return result201.CertificateSigned(status="Rejected")
        if pki.common_names(certificate.subject) != [self.identity]:
            return result201.CertificateSigned(status="Rejected")
        self._security()["certificate"] = certificate_chain
        return result201.CertificateSigned(status="Accepted")

    # -- network profiles --------------------------------------------------------------------------

    @on("SetNetworkProfile")
    def on_set_network_profile(self, configuration_slot: int, connection_data: dict[str, Any], **kwargs):
        self.record("SetNetworkProfile", {"configuration_slot": configuration_slot, "connection_data": connection_data})
        if connection_data.get("ocpp_version") != "OCPP20" or connection_data.get("ocpp_transport") != "JSON":
            return result201.SetNetworkProfile(status="Rejected")
        # B09.FR.03: the slot in use may not be overwritten.
        if configuration_slot == self.connected_slot:
            return result201.SetNetworkProfile(status="Rejected")
        self._security()["profiles"][configuration_slot] = {
            "url": connection_data["ocpp_csms_url"], "profile": int(connection_data["security_profile"])
        }
        return result201.SetNetworkProfile(status="Accepted")
