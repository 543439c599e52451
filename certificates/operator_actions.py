"""Certificate management actions an operator sends (2.0.1 M03/M04/M05; 1.6 Security Whitepaper
use cases M03-M05): InstallCertificate of any root type from a PEM, GetInstalledCertificateIds with
a type filter, DeleteCertificate of a reported certificate. Registered with ``commands.registry``
from ``certificates.actions.register``; their outcome lands on ``InstalledCertificate``.

The hash data of DeleteCertificate is the one the station reported, byte for byte (M04.FR.07,
TC_M_20): no case folding, no stripped zeros.
"""
from __future__ import annotations

from typing import Any

from cryptography import x509
from django import forms
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from commands.forms import V16, V201, ActionForm

INSTALL_CERTIFICATE = "install_certificate"
GET_INSTALLED_CERTIFICATE_IDS = "get_installed_certificate_ids"
DELETE_CERTIFICATE = "delete_certificate"

# 2.0.1 InstallCertificateUseEnumType; 1.6 Security Whitepaper CertificateUseEnumType.
INSTALL_TYPES = {
    V201: ["CSMSRootCertificate", "ManufacturerRootCertificate", "V2GRootCertificate", "MORootCertificate"],
    V16: ["CentralSystemRootCertificate", "ManufacturerRootCertificate"],
}
# 2.0.1 GetCertificateIdUseEnumType adds the V2G chain; 1.6 asks for one CertificateUseEnumType.
LIST_TYPES = {
    V201: [*INSTALL_TYPES[V201][:3], "V2GCertificateChain", "MORootCertificate"],
    V16: INSTALL_TYPES[V16],
}
HASH_ALGORITHMS = ["SHA256", "SHA384", "SHA512"]
# Both schemas cap the PEM at 5500 characters.
CERTIFICATE_MAX_LENGTH = 5500


def _all(types: dict[str, list[str]]) -> list[str]:
    return sorted({t for values in types.values() for t in values})


def _refuse_type(form: ActionForm, field: str, value: str, allowed: dict[str, list[str]]) -> None:
    if form.version and value and value not in allowed[form.version]:
        form.add_error(
            field, f"OCPP {form.version} stations take {', '.join(allowed[form.version])}; not {value}."
        )


class PemInput(forms.Textarea):
    """A textarea for a pasted PEM with a file picker under the same name: an uploaded file wins.

    The admin posts the file in ``files``; the console and the API (multipart) hand it over in
    ``data``; either way the field gets the file's text, and the command stores text.
    """

    needs_multipart_form = True

    def value_from_datadict(self, data, files, name):
        upload = files.get(name) if files else None
        value = upload if upload is not None else data.get(name)
        if hasattr(value, "read"):
            # One byte over the limit is enough for max_length to refuse it.
            return value.read(CERTIFICATE_MAX_LENGTH + 1).decode("ascii", errors="replace")
        return value

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html

        textarea = super().render(name, value, attrs, renderer)
        return format_html(
            '{}<br><input type="file" name="{}" accept=".pem,.crt,.cer,application/x-pem-file" aria-label="PEM file">',
            textarea, name,
        )


class InstallCertificateForm(ActionForm):
    certificate_type = forms.ChoiceField(
        choices=[(t, t) for t in _all(INSTALL_TYPES)],
        help_text="2.0.1: CSMSRootCertificate, ManufacturerRootCertificate, V2GRootCertificate, MORootCertificate; "
        "1.6: CentralSystemRootCertificate, ManufacturerRootCertificate.",
    )
    certificate = forms.CharField(
        widget=PemInput,
        max_length=CERTIFICATE_MAX_LENGTH,
        strip=True,
        help_text="The X.509 certificate, PEM encoded (-----BEGIN CERTIFICATE----- ...): paste it or pick the file.",
    )

    def clean_certificate(self) -> str:
        pem = self.cleaned_data["certificate"].replace("\r\n", "\n")
        try:
            x509.load_pem_x509_certificate(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise forms.ValidationError("Not a PEM encoded X.509 certificate.") from None
        if pem.count("-----BEGIN CERTIFICATE-----") != 1:
            raise forms.ValidationError("Give exactly one certificate.")
        return pem + "\n"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _refuse_type(self, "certificate_type", cleaned.get("certificate_type", ""), INSTALL_TYPES)
        return cleaned


class CertificateTypesField(forms.Field):
    """A list of certificate types: a JSON list, repeated form values, or one comma-separated string."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> list[str]:
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError("A list of certificate types.")
        values = [v.strip() for v in value if v.strip()]
        unknown = [v for v in values if v not in _all(LIST_TYPES)]
        if unknown:
            raise forms.ValidationError(f"Unknown certificate type {', '.join(unknown)}; one of {', '.join(_all(LIST_TYPES))}.")
        return list(dict.fromkeys(values))


class GetInstalledCertificateIdsForm(ActionForm):
    certificate_types = CertificateTypesField(
        required=False,
        label="Certificate types",
        help_text="2.0.1: any of CSMSRootCertificate, ManufacturerRootCertificate, V2GRootCertificate, "
        "V2GCertificateChain, MORootCertificate, or empty for all. 1.6: exactly one of "
        "CentralSystemRootCertificate, ManufacturerRootCertificate.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        data = self.data
        # Repeated form values (admin, console) arrive as a QueryDict list.
        if hasattr(data, "getlist") and len(data.getlist("certificate_types")) > 1:
            mutable = data.copy()
            mutable["certificate_types"] = ",".join(data.getlist("certificate_types"))
            self.data = mutable

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        types = cleaned.get("certificate_types") or []
        for value in types:
            _refuse_type(self, "certificate_types", value, LIST_TYPES)
        if self.version == V16 and len(types) != 1:
            # 1.6 GetInstalledCertificateIds.req: certificateType is required and single.
            self.add_error("certificate_types", "OCPP 1.6 asks for exactly one certificate type.")
        return cleaned


class DeleteCertificateForm(ActionForm):
    installed_certificate = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="The id of a certificate the station reported (its hash data is sent as reported).",
    )
    hash_algorithm = forms.ChoiceField(choices=[("", "—")] + [(a, a) for a in HASH_ALGORITHMS], required=False)
    issuer_name_hash = forms.CharField(max_length=128, required=False, strip=False)
    issuer_key_hash = forms.CharField(max_length=128, required=False, strip=False)
    serial_number = forms.CharField(max_length=40, required=False, strip=False)

    HASH_FIELDS = ("hash_algorithm", "issuer_name_hash", "issuer_key_hash", "serial_number")

    def clean(self) -> dict[str, Any]:
        from certificates.models import InstalledCertificate

        cleaned = super().clean()
        chosen = cleaned.get("installed_certificate")
        given = {f: cleaned.get(f) for f in self.HASH_FIELDS if cleaned.get(f)}
        if chosen and given:
            raise forms.ValidationError("Pick a reported certificate or give its hash data, not both.")
        if chosen:
            certificate = InstalledCertificate.objects.filter(station=self.station, pk=chosen).first()
            if certificate is None:
                self.add_error("installed_certificate", "This station reported no certificate with this id.")
            else:
                cleaned["certificate_hash_data"] = certificate.hash_data()
        elif len(given) == len(self.HASH_FIELDS):
            cleaned["certificate_hash_data"] = {
                "hashAlgorithm": given["hash_algorithm"],
                "issuerNameHash": given["issuer_name_hash"],
                "issuerKeyHash": given["issuer_key_hash"],
                "serialNumber": given["serial_number"],
            }
        else:
            raise forms.ValidationError(
                "Pick a reported certificate (installed_certificate) or give all four hash data fields."
            )
        return cleaned

    def parameters(self) -> dict[str, Any]:
        params = {"certificate_hash_data": self.cleaned_data["certificate_hash_data"]}
        if self.cleaned_data.get("installed_certificate"):
            params["installed_certificate_id"] = self.cleaned_data["installed_certificate"]
        return params


def _hash_data_snake(data: dict[str, str]) -> dict[str, str]:
    return {
        "hash_algorithm": data["hashAlgorithm"],
        "issuer_name_hash": data["issuerNameHash"],
        "issuer_key_hash": data["issuerKeyHash"],
        "serial_number": data["serialNumber"],
    }


def _check_type(value: str, version: str, allowed: dict[str, list[str]]) -> str:
    # The form checked it when the version was known; a station first seen now is checked here.
    if value not in allowed[version]:
        raise ValueError(f"OCPP {version} has no certificate type {value}; one of {', '.join(allowed[version])}.")
    return value


def install_certificate_call(command, *, version: str):
    p = command.parameters
    certificate_type = _check_type(p["certificate_type"], version, INSTALL_TYPES)
    module = call16 if version == V16 else call201
    return module.InstallCertificate(certificate_type=certificate_type, certificate=p["certificate"])


def get_installed_certificate_ids_call(command, *, version: str):
    types = [_check_type(t, version, LIST_TYPES) for t in command.parameters.get("certificate_types") or []]
    if version == V16:
        if len(types) != 1:
            raise ValueError("OCPP 1.6 asks for exactly one certificate type.")
        return call16.GetInstalledCertificateIds(certificate_type=types[0])
    # Omitted means every type (2.0.1 M03.FR.01, TC_M_18).
    return call201.GetInstalledCertificateIds(certificate_type=types or None)


def delete_certificate_call(command, *, version: str):
    module = call16 if version == V16 else call201
    return module.DeleteCertificate(certificate_hash_data=_hash_data_snake(command.parameters["certificate_hash_data"]))


def certificate_command_finished(command) -> None:
    """What the station's answer means for the platform's list of its certificates."""
    from certificates.installed import installed_certificates_forget, installed_certificates_replace
    from commands.models import CommandStatus

    answer = command.answer if isinstance(command.answer, dict) else {}
    if command.action == GET_INSTALLED_CERTIFICATE_IDS:
        if command.status != CommandStatus.ACCEPTED and command.result != "NotFound":
            return
        types = command.parameters.get("certificate_types") or []
        if "certificateHashData" not in answer:
            # 2.0.1 (each item names its type), or NotFound: what was asked for is what the station
            # holds, every type when none was named.
            installed_certificates_replace(
                station=command.station, reported=answer.get("certificateHashDataChain") or [], certificate_types=types or None
            )
        else:
            # 1.6 answers certificateHashData for the one type asked.
            kind = types[0]
            installed_certificates_replace(
                station=command.station,
                reported=[{"certificateType": kind, "certificateHashData": d} for d in answer.get("certificateHashData") or []],
                certificate_types=[kind],
            )
    elif command.action == DELETE_CERTIFICATE and command.status == CommandStatus.ACCEPTED:
        installed_certificates_forget(station=command.station, hash_data=command.parameters["certificate_hash_data"])
