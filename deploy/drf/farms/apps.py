"""App config: SQLite tuning for several gunicorn workers sharing one file."""
from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _tune_sqlite(sender, connection, **kwargs):
    """WAL lets readers run while one worker writes; NORMAL sync is safe with WAL."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")


class FarmsConfig(AppConfig):
    name = "farms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        connection_created.connect(_tune_sqlite, dispatch_uid="farms.tune_sqlite")
