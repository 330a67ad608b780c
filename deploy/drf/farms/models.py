"""Domain models (Farm, NdviState, Observation) and the demo's shared runtime
state (DemoState, DemoCounter). Runtime state lives in SQLite, not in process
memory, so every gunicorn worker sees the same schema version, faults and
counters."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

CROP_CHOICES = [
    ("wheat", "Wheat"),
    ("maize", "Maize"),
    ("barley", "Barley"),
    ("soy", "Soybean"),
    ("rice", "Rice"),
    ("sunflower", "Sunflower"),
    ("potato", "Potato"),
    ("vineyard", "Vineyard"),
    ("olive", "Olive grove"),
    ("orchard", "Orchard"),
    ("fallow", "Fallow"),
]


class Farm(models.Model):
    name = models.CharField(max_length=120)
    owner = models.CharField(max_length=120, blank=True, default="")
    crop = models.CharField(max_length=20, choices=CROP_CHOICES)
    area_ha = models.FloatField(validators=[MaxValueValidator(100000)])
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    irrigated = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="", max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class NdviState(models.Model):
    """The latest NDVI reading of one farm, replaced as a whole by PUT."""

    farm = models.OneToOneField(Farm, on_delete=models.CASCADE, primary_key=True, related_name="ndvi")
    ndvi = models.FloatField(validators=[MinValueValidator(-1), MaxValueValidator(1)])
    observed_at = models.DateTimeField()
    source = models.CharField(max_length=64)
    tiles = models.JSONField(default=list)


class Observation(models.Model):
    farm = models.ForeignKey(Farm, on_delete=models.CASCADE, related_name="observations")
    station = models.CharField(max_length=32)
    observed_at = models.DateTimeField(db_index=True)
    temperature_c = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(60)])
    humidity_pct = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    rainfall_mm = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(2000)])
    wind_kph = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(500)])

    class Meta:
        ordering = ["observed_at", "id"]


class DemoState(models.Model):
    """The single row (id=1) of runtime knobs: schema version and faults.

    fault_seq numbers the requests the faults matched since they were last set;
    fail_rate picks requests by it, so a rate is exact rather than random.
    """

    schema_version = models.PositiveSmallIntegerField(default=1)
    faults = models.JSONField(default=dict)
    fault_seq = models.BigIntegerField(default=0)
    seeded = models.BooleanField(default=False)


class DemoCounter(models.Model):
    """One named counter of /__demo/stats, bumped with an atomic SQL upsert."""

    key = models.CharField(max_length=200, primary_key=True)
    value = models.BigIntegerField(default=0)
