import time

from django.core.management.base import BaseCommand, CommandError

from transfers.demo import demo_data_generate

# Ten times the benchmark's largest register (1,000,000 took 456 s to generate).
MOST = 10_000_000


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic register (for benchmarks and demos). Records are marked 'demo-'. "
        "It commits every 5,000 transfers, so an interrupted run keeps the batches written: "
        "use a database of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--transfers", type=int, required=True, help=f"How many, 1 to {MOST:,}.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, transfers, seed, **options):
        if not 1 <= transfers <= MOST:
            raise CommandError(f"--transfers must be 1 to {MOST:,}; got {transfers:,}.")
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
