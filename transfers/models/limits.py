"""Abuse limits: the requests each client made under each limit (api.throttling)."""

from django.db import models


class RateCount(models.Model):
    """Requests of one client under one limit in its current window (api.throttling):
    one row per client and limit, counted by one atomic statement that every worker
    and host shares."""

    key = models.CharField(max_length=200, primary_key=True)
    window_end = models.BigIntegerField(help_text="When the window closes, in seconds since the epoch.")
    hits = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key}: {self.hits}"
