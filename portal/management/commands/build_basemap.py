"""Build the layers of the built-in base map for MAP_REGION ahead of the first map page."""

from django.core.management.base import BaseCommand

from portal import basemap


class Command(BaseCommand):
    help = (
        "Build the built-in base map's layers (land, coastline, borders, places, lakes, rivers) for MAP_REGION. "
        "The portal builds them at the first map request otherwise; this spares that request the wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Build again even if the layers are on disk.")

    def handle(self, *args, force=False, **options):
        if force:
            target = basemap.build()
        else:
            target = basemap.layer_file(basemap.LAYERS[0], compressed=True).parent
            for name in basemap.LAYERS:
                basemap.layer_file(name, compressed=True)
        sizes = ", ".join(
            f"{name} {(target / f'{name}.geojson.gz').stat().st_size // 1024} KiB" for name in basemap.LAYERS
        )
        self.stdout.write(self.style.SUCCESS(f"Base map for {basemap.region()} in {target} (gzip: {sizes})."))
