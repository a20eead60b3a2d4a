"""What the service keeps to refuse abuse: signed callback URLs already used once, and failed
sign-ins counted per client address. Both are short-lived rows, deleted by age."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ReplayNonce(Model):
    """A plaintext-mode WeChat callback URL (its timestamp and nonce) that was already used. A
    second delivery on the same URL is refused. Rows older than the timestamp tolerance can go.
    """

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16, description="mp | mini | work")
    timestamp = fields.BigIntField(description="the query's timestamp, Unix seconds")
    nonce = fields.CharField(max_length=64)
    seen_at = fields.DatetimeField()

    class Meta:
        table = "replay_nonces"
        unique_together = (("channel", "timestamp", "nonce"),)
        indexes = (("seen_at",),)


class SignInFailure(Model):
    """Failed staff sign-ins from one client address within one window (whatever the account),
    counted by one atomic upsert so that parallel guesses cannot slip past the limit."""

    id = fields.BigIntField(primary_key=True)
    address = fields.CharField(max_length=64)
    window_start = fields.DatetimeField()
    failures = fields.IntField(default=0)

    class Meta:
        table = "sign_in_failures"
        unique_together = (("address", "window_start"),)
        indexes = (("window_start",),)
