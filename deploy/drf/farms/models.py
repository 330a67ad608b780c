"""Domain models (Farm, NdviState, Observation) and the demo's shared runtime
state (DemoState, DemoCounter). Runtime state lives in SQLite, not in process
memory, so every gunicorn worker sees the same layouts, transforms, faults and
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
    """The latest NDVI reading of one farm, replaced as a whole by PUT.

    ndvi is the mean. ndvi_min/ndvi_max are stored only when a PUT in the
    ndvi-object layout gave them; otherwise ndvi_summary derives them.
    """

    farm = models.OneToOneField(Farm, on_delete=models.CASCADE, primary_key=True, related_name="ndvi")
    ndvi = models.FloatField(validators=[MinValueValidator(-1), MaxValueValidator(1)])
    ndvi_min = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-1), MaxValueValidator(1)])
    ndvi_max = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-1), MaxValueValidator(1)])
    observed_at = models.DateTimeField()
    source = models.CharField(max_length=64)
    tiles = models.JSONField(default=list)

    @property
    def ndvi_summary(self) -> dict:
        """{"mean", "min", "max"}: a missing min (max) is the smallest (largest)
        of the mean and the tiles' ndvi values, so min <= mean <= max."""
        values = [self.ndvi] + [t["ndvi"] for t in self.tiles or [] if isinstance(t.get("ndvi"), (int, float))]
        low = self.ndvi_min if self.ndvi_min is not None else min(values)
        high = self.ndvi_max if self.ndvi_max is not None else max(values)
        return {"mean": self.ndvi, "min": low, "max": high}


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
    """The single row (id=1) of runtime knobs: layouts, transforms and faults.

    The layout names are those of farms.layouts; schema_version_override is
    null or an int or string that replaces the schema layout's own version.
    fault_seq numbers the requests the faults matched since they were last set;
    fail_rate picks requests by it, so a rate is exact rather than random.
    """

    schema_layout = models.CharField(max_length=32, default="v1")
    farm_state_layout = models.CharField(max_length=32, default="flat")
    observation_layout = models.CharField(max_length=32, default="plain")
    schema_version_override = models.JSONField(null=True, default=None)
    version_header = models.BooleanField(default=True)
    transforms = models.JSONField(default=dict)
    faults = models.JSONField(default=dict)
    fault_seq = models.BigIntegerField(default=0)
    seeded = models.BooleanField(default=False)


class DemoCounter(models.Model):
    """One named counter of /__demo/stats, bumped with an atomic SQL upsert."""

    key = models.CharField(max_length=200, primary_key=True)
    value = models.BigIntegerField(default=0)
