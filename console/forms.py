from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from locations.models import Location
from networks.models import Membership, Network, User
from stations.forms import StationPasswordField
from stations.models import Station, identity_validator, validate_station_location
from stations.services import station_create


class LocationForm(forms.ModelForm):
    """Create or edit a location; the network is the current one, or picked among those the user may change."""

    class Meta:
        model = Location
        fields = ["network", "name", "country", "address", "latitude", "longitude"]
        widgets = {
            "latitude": forms.NumberInput(attrs={"step": "0.000001"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001"}),
        }

    def __init__(self, *args, user, current_network: Network | None, **kwargs):
        super().__init__(*args, **kwargs)
        networks = Network.objects.for_user(user, write=True)
        self.fields["network"].queryset = networks
        if self.instance.pk:
            # Moving a location between networks would move its stations with it: not from this page.
            self.fields["network"].disabled = True
        elif current_network is not None and networks.filter(pk=current_network.pk).exists():
            self.fields["network"].initial = current_network.pk
        elif networks.count() == 1:
            self.fields["network"].initial = networks.first().pk


class LocationSelect(forms.Select):
    """Each location option carries its network (data-network): the add form shows only the
    locations of the network picked above it (console/static/console/pages.js)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-network"] = str(instance.network_id)
        return option


class AddStationForm(forms.Form):
    """Onboarding: pick a location or create one, then name, identity and password."""

    network = forms.ModelChoiceField(queryset=Network.objects.none())
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="— create a new location —",
        widget=LocationSelect,
    )
    new_location_name = forms.CharField(label="New location name", max_length=200, required=False)
    new_location_country = forms.ChoiceField(
        label="Country", required=False, choices=[("", "---------"), *Location._meta.get_field("country").choices]
    )
    new_location_address = forms.CharField(label="Address", max_length=300, required=False)
    name = forms.CharField(max_length=200, required=False, help_text="Defaults to the identity.")
    identity = forms.CharField(
        max_length=48,
        validators=[identity_validator],
        help_text="The charge point identity: the station appends it to the connection URL.",
    )
    password = StationPasswordField(
        required=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 44}),
        help_text="16 to 40 characters; Zaptec and other OCPP 1.6 stations need exactly 20.",
    )

    def __init__(self, *args, user, current_network: Network | None, **kwargs):
        super().__init__(*args, **kwargs)
        networks = Network.objects.for_user(user, write=True)
        locations = Location.objects.for_user(user, write=True).in_network(current_network).select_related("network")
        self.fields["network"].queryset = networks
        self.fields["location"].queryset = locations
        if current_network is not None and networks.filter(pk=current_network.pk).exists():
            self.fields["network"].initial = current_network.pk
        elif networks.count() == 1:
            self.fields["network"].initial = networks.first().pk
        if current_network is None:
            self.fields["location"].label_from_instance = lambda loc: f"{loc.name} ({loc.network})"

    def clean_identity(self) -> str:
        identity = self.cleaned_data["identity"]
        if Station.objects.filter(identity=identity).exists():
            # Identities are unique across the whole platform: the URL path picks the station.
            raise ValidationError("A station with this identity already exists.")
        return identity

    def clean(self):
        cleaned = super().clean()
        network, location = cleaned.get("network"), cleaned.get("location")
        try:
            validate_station_location(network=network, location=location)
        except ValidationError as exc:
            self.add_error(None, exc)
        if not location:
            if not cleaned.get("new_location_name"):
                self.add_error("new_location_name", "Pick a location above or name a new one.")
            elif network and Location.objects.filter(network=network, name=cleaned["new_location_name"]).exists():
                self.add_error("new_location_name", "This network already has a location with that name.")
            if not cleaned.get("new_location_country"):
                self.add_error("new_location_country", "A new location needs its country.")
        return cleaned

    @transaction.atomic
    def save(self) -> Station:
        data = self.cleaned_data
        location = data["location"]
        if location is None:
            location = Location(
                network=data["network"],
                name=data["new_location_name"],
                country=data["new_location_country"],
                address=data["new_location_address"],
            )
            location.full_clean()
            location.save()
        return station_create(
            network=data["network"],
            location=location,
            identity=data["identity"],
            name=data["name"],
            password=data["password"],
        )


class StationRegistrationForm(forms.Form):
    """The station's registration switch (OCPP 1.6 §4.2, 2.0.1 B02): answer Pending until turned off."""

    boot_pending = forms.BooleanField(
        required=False, label="Answer Pending at the next boot",
        help_text=Station._meta.get_field("boot_pending").help_text,
    )
    boot_pending_interval = forms.IntegerField(
        min_value=0, max_value=86400, label="Retry interval (s)",
        help_text=Station._meta.get_field("boot_pending_interval").help_text,
    )
    trigger_boot = forms.BooleanField(
        required=False, label="Ask the station to boot now",
        help_text="Send TriggerMessage BootNotification, so the new answer applies without waiting for the interval.",
    )


class NetworkForm(forms.ModelForm):
    class Meta:
        model = Network
        fields = ["name", "description", "message_retention_days", "read_configuration_after_boot"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.ROLE_CHOICES)

    def __init__(self, *args, network: Network, **kwargs):
        super().__init__(*args, **kwargs)
        self.network = network

    def clean_username(self) -> User:
        user = User.objects.filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise ValidationError("No user with that username.")
        return user

    def save(self) -> Membership:
        membership, _ = Membership.objects.update_or_create(
            user=self.cleaned_data["username"], network=self.network, defaults={"role": self.cleaned_data["role"]}
        )
        return membership
