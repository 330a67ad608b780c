"""manage.py seed: the service account, ~25 farms with NDVI states and ~200
observations. Idempotent: the account is (re)set every run, the demo data is
created once per database (a later run keeps whatever tests changed, and the
layouts). --clear-faults (run.sh passes it) clears faults and transforms."""
import os
import random
from datetime import datetime, timedelta, timezone

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from farms import runtime
from farms.models import CROP_CHOICES, DemoState, Farm, NdviState, Observation

FARM_NAMES = [
    "North Ridge Fields", "Willow Creek", "Sunny Acres", "Old Mill Farm", "Riverbend",
    "Cedar Hollow", "Hilltop Orchard", "Meadowlark", "Stone Bridge", "Green Valley",
    "Eastfield", "Oak Terrace", "Lakeside Paddies", "Red Barn", "Fox Run",
    "Silver Birch", "Windmill Plains", "Golden Slope", "Heron Marsh", "Clover Lane",
    "Pine Gap", "Brookside", "Larkspur", "South Terraces", "Quarry End",
]
OWNERS = ["A. Meyer", "Bianchi Agricola", "C. Dubois", "Coop Vallée", "E. Novak"]
OBSERVATIONS_PER_FARM = 8
# Fixed so ?since= filters give the same answer in every test run.
BASE_TIME = datetime(2025, 6, 1, tzinfo=timezone.utc)


class Command(BaseCommand):
    help = "Create the demo service account and, once per database, the demo farms."

    def add_arguments(self, parser):
        parser.add_argument("--clear-faults", action="store_true",
                            help="reset /__demo/faults and /__demo/transforms to none")

    def handle(self, *args, **options):
        runtime.ensure_row()
        self._ensure_user()
        if options["clear_faults"]:
            runtime.set_faults({})
            runtime.set_transforms({})
        version = os.environ.get("DRF_DEMO_SCHEMA_VERSION", "")
        if version:
            if version not in ("1", "2"):
                raise CommandError(f"DRF_DEMO_SCHEMA_VERSION must be 1 or 2, got {version!r}")
            runtime.set_schema_version(int(version))  # schema layout v1/v2, no override
        if not DemoState.objects.get(pk=runtime.STATE_ID).seeded:
            with transaction.atomic():
                self._create_data()
                DemoState.objects.filter(pk=runtime.STATE_ID).update(seeded=True)
            self.stdout.write(f"seeded {Farm.objects.count()} farms, {Observation.objects.count()} observations")

    def _ensure_user(self):
        user, _ = get_user_model().objects.get_or_create(username=settings.DEMO_USERNAME)
        if not user.is_active or not user.check_password(settings.DEMO_PASSWORD):
            user.is_active = True
            user.set_password(settings.DEMO_PASSWORD)
            user.save()

    def _create_data(self):
        rng = random.Random(42)
        crops = [value for value, _ in CROP_CHOICES]
        for index, name in enumerate(FARM_NAMES):
            farm = Farm.objects.create(
                name=name,
                owner=OWNERS[index % len(OWNERS)],
                crop=crops[index % len(crops)],
                area_ha=round(rng.uniform(5, 900), 2),
                latitude=round(rng.uniform(43.0, 53.0), 6),
                longitude=round(rng.uniform(-1.0, 16.0), 6),
                irrigated=index % 3 == 0,
                notes=f"Demo farm {index + 1}. Soil: {rng.choice(['loam', 'clay', 'sandy loam', 'silt'])}.",
            )
            NdviState.objects.create(
                farm=farm,
                ndvi=round(rng.uniform(0.1, 0.85), 3),
                observed_at=BASE_TIME + timedelta(days=2, hours=index),
                source="sentinel-2",
                tiles=[
                    {"z": 14, "x": 8500 + index * 3 + t, "y": 5600 + index, "ndvi": round(rng.uniform(0.05, 0.9), 3)}
                    for t in range(3)
                ],
            )
            Observation.objects.bulk_create(
                Observation(
                    farm=farm,
                    station=f"WS-{index // 3 + 1:03d}",
                    observed_at=BASE_TIME + timedelta(hours=6 * i, minutes=index),
                    temperature_c=round(rng.uniform(8, 31), 1),
                    humidity_pct=round(rng.uniform(35, 95), 1),
                    rainfall_mm=round(max(0.0, rng.gauss(1.0, 2.5)), 1),
                    wind_kph=round(rng.uniform(0, 40), 1),
                )
                for i in range(OBSERVATIONS_PER_FARM)
            )
