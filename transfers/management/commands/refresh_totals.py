"""Bring the yearly totals and the systems' totals (transfers.totals) up to date: after raw
SQL writes, or with --rebuild to recompute them all."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from transfers.totals import maintain


class Command(BaseCommand):
    help = "Refresh the totals of the cells and systems marked stale (--rebuild: recompute everything)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Recompute every total.")
        parser.add_argument("--database", default="default")

    def handle(self, *args, rebuild=False, database="default", **options):
        if database not in connections:
            raise CommandError(f"No database {database!r} in the settings: {', '.join(connections)}.")
        if rebuild:
            maintain.rebuild(using=database)
            self.stdout.write("Totals rebuilt.")
        else:
            done = maintain.refresh(using=database)
            self.stdout.write(f"Totals refreshed: {done} cell(s) and system(s).")
