from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from stations.models import Station, validate_station_password


class StationPasswordField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value:
            try:
                validate_station_password(value)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None


class StationForm(forms.ModelForm):
    password = StationPasswordField(
        required=False,
        help_text="16 to 40 characters. Shown once after saving, with the hex form Zaptec and other "
        "OCPP 1.6 stations take as AuthorizationKey. Leave empty to keep the current password.",
    )

    class Meta:
        model = Station
        fields = ["network", "location", "name", "identity", "password", "ocpp_version", "security_profile", "state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = self.fields["password"].help_text.replace(
                " Leave empty to keep the current password.", ""
            )
        else:
            self.fields["password"].label = "New password"

    # "The location must be in the station's network": Station.clean() (validate_station_location),
    # which the model form runs.

    def save(self, commit=True):
        station = super().save(commit=False)
        password = self.cleaned_data.get("password")
        if password:
            station.set_password(password)
        if commit:
            station.save()
        return station
