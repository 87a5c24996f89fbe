import time

from django.core.management.base import BaseCommand, CommandError

from transfers.demo import demo_data_generate


class Command(BaseCommand):
    help = "Generate a realistic synthetic register (for benchmarks and demos). Records are marked 'demo-'."

    def add_arguments(self, parser):
        parser.add_argument("--transfers", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, transfers, seed, **options):
        if transfers < 1:
            raise CommandError("--transfers must be at least 1")
        started = time.monotonic()
        last = [0.0]

        def progress(done, total):
            if time.monotonic() - last[0] >= 5 or done >= total:
                last[0] = time.monotonic()
                rate = done / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"{done}/{total} transfers ({rate:,.0f}/s)")

        counts = demo_data_generate(transfers=transfers, seed=seed, progress=progress if options["verbosity"] else None)
        self.stdout.write(
            f"Generated {counts['contracts']} contracts, {counts['transfers']} transfers, "
            f"{counts['deliveries']} deliveries, {counts['claims']} claims in {counts['seconds']} s."
        )
