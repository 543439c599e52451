"""The simulate_station command line takes any station password, and the tests' secrets never look like options."""
from __future__ import annotations

from simulator.management.commands.simulate_station import Command
from tests.servers import station_password


def parse(*argv: str):
    return Command().create_parser("manage.py", "simulate_station").parse_args(list(argv))


def test_a_password_starting_with_a_dash_is_taken_in_the_equals_form():
    # A station password may start with "-" (it is any 16-40 characters): `--password=` is the safe form.
    options = parse("CP-1", "--password=-AbCdEfGhIjKlMnOpQrS")
    assert options.password == "-AbCdEfGhIjKlMnOpQrS" and options.identity == "CP-1"


def test_generated_station_passwords_cannot_start_an_option():
    passwords = {station_password() for _ in range(2000)}
    assert len(passwords) == 2000
    assert all(len(p) == 20 and p.isalnum() and p.isascii() for p in passwords)
