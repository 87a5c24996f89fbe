from django.core.management.base import BaseCommand

from transfers.countries import actor_load_countries


class Command(BaseCommand):
    help = "Load every current ISO 3166-1 state as an Actor (from pycountry). Safe to run again."

    def handle(self, *args, **options):
        counts = actor_load_countries()
        self.stdout.write(
            f"Countries: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged."
        )
