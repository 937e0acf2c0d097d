from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ClientsConfig(AppConfig):
    name = "clients"

    def ready(self) -> None:
        connection_created.connect(_on_connection)


def _on_connection(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        from clients.db_dates import read_far_dates

        read_far_dates(connection.connection)
