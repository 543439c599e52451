from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from firmware.models import Firmware
from firmware.services import firmware_create, firmware_validate_size
from networks.models import Network
from networks.querysets import is_account_admin


def _size_error(file) -> None:
    try:
        firmware_validate_size(size=getattr(file, "size", None))
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["file"]) from None


class FirmwareForm(forms.ModelForm):
    """Upload (add) or describe (change) an image. The file itself never changes after upload:
    updates already sent point at its SHA-256."""

    class Meta:
        model = Firmware
        fields = ["network", "shared", "version", "vendor", "model", "notes", "file", "signature", "signing_certificate"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "network" in self.fields:
            self.fields["network"].queryset = Network.objects.for_user(user, write=True)
        if "shared" in self.fields and not is_account_admin(user):
            del self.fields["shared"]

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file is not None and self.instance.pk is None:
            _size_error(file)
        return file

    def clean(self):
        cleaned = super().clean()
        shared = cleaned.get("shared", self.instance.shared)
        if shared:
            if not is_account_admin(self.user):
                raise ValidationError("Only account admins share images with every network.")
            cleaned["network"] = None
        elif "network" in self.fields and not cleaned.get("network") and "network" not in self.errors:
            self.add_error("network", "Pick the network, or share the image with every network.")
        return cleaned

    def upload(self) -> Firmware:
        """Store a valid new image through the service, which streams its SHA-256 and size."""
        data = self.cleaned_data
        return firmware_create(
            file=data["file"],
            network=data.get("network"),
            shared=bool(data.get("shared")),
            version=data["version"],
            vendor=data.get("vendor", ""),
            model=data.get("model", ""),
            notes=data.get("notes", ""),
            signature=data.get("signature", ""),
            signing_certificate=data.get("signing_certificate", ""),
            uploaded_by=self.user,
        )


class FirmwareUpdateForm(forms.Form):
    """The UpdateFirmware parameters, for one station or several (OCPP 1.6 §6.52, 2.0.1 L01)."""

    firmware = forms.ModelChoiceField(queryset=Firmware.objects.none())
    retrieve_at = forms.DateTimeField(
        label="Retrieve at",
        required=False,
        help_text="UTC, e.g. 2026-11-26 22:00. Empty: at once.",
    )
    install_at = forms.DateTimeField(
        label="Install at",
        required=False,
        help_text="UTC. Empty: as soon as it is downloaded. OCPP 1.6 stations take it with a signed image only "
        "(SignedUpdateFirmware).",
    )
    signed_update = forms.BooleanField(
        label="Signed update (OCPP 1.6)",
        required=False,
        help_text="OCPP 1.6 stations with the security extension: send SignedUpdateFirmware (needs a signed image).",
    )
    retries = forms.IntegerField(min_value=0, max_value=100, required=False, help_text="Download attempts after a failure.")
    retry_interval = forms.IntegerField(
        min_value=1, max_value=86400, required=False, help_text="Seconds between download attempts."
    )

    def __init__(self, *args, firmware_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if firmware_queryset is not None:
            self.fields["firmware"].queryset = firmware_queryset

    def clean(self):
        cleaned = super().clean()
        retrieve_at, install_at = cleaned.get("retrieve_at"), cleaned.get("install_at")
        if install_at is not None and install_at < (retrieve_at or timezone.now()) - timedelta(minutes=5):
            self.add_error("install_at", "The install time is before the retrieve time.")
        firmware = cleaned.get("firmware")
        if cleaned.get("signed_update") and firmware is not None and not (firmware.signature and firmware.signing_certificate):
            self.add_error("signed_update", "This image has no signature and signing certificate to send.")
        return cleaned

    def clean_retrieve_at(self):
        value = self.cleaned_data.get("retrieve_at")
        if value is not None and value < timezone.now() - timedelta(minutes=5):
            raise ValidationError("The retrieve time is in the past.")
        return value
