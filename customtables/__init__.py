"""The Python client of the customtables server: `from customtables.client import Client`."""
