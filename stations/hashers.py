from django.contrib.auth.hashers import PBKDF2PasswordHasher


class StationPasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 tuned for station passwords.

    Stations present their password on every websocket connect, and a few thousand reconnect at
    once after a network outage. Their passwords are 16-40 character machine secrets (OCPP 2.0.1
    BasicAuthPassword), not human passwords, so a fraction of Django's default work factor keeps a
    leaked hash just as unusable while a reconnect storm stays within one core.
    """

    algorithm = "station_pbkdf2_sha256"
    iterations = 20_000
