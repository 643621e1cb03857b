from django.db import models
from django.db.models import F
from django.utils import timezone


class OutboxQuerySet(models.QuerySet["OutboxMessage"]):
    def mark_sent(self) -> int:
        """Record one more attempt, which succeeded: the rows are sent (or their event dispatched)."""
        return self.update(sent_at=timezone.now(), attempts=F("attempts") + 1)

    def mark_failed(self, exc: Exception) -> int:
        """Record one more attempt, which failed with `exc`: the relay tries again."""
        return self.update(attempts=F("attempts") + 1, last_error=str(exc)[:1000])


class OutboxMessage(models.Model):
    """A Dramatiq message written in the business transaction (transactional outbox).

    It is sent right after commit; if the broker is unreachable then, the row
    stays unsent and the relay (the worker's `OutboxRelay`, or `manage.py relay_outbox`)
    sends it later, so a committed change never loses its side effects.
    """

    actor_name = models.CharField(max_length=200)
    queue_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    options = models.JSONField(default=dict, help_text="Message options, e.g. max_retries.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent"),
            # The housekeeping purge of sent messages.
            models.Index(fields=["sent_at"], condition=models.Q(sent_at__isnull=False), name="outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name}{tuple(self.args)}"


class TrustedDocument(models.Model):
    """A GraphQL document a first-party client was built with (`manage.py register_documents`).

    With `GRAPHQL_TRUSTED_DOCUMENTS=only` the API runs nothing else; in any
    mode a client may send just the hash of a registered document.
    """

    sha256 = models.CharField(max_length=64, primary_key=True, help_text="Hex SHA-256 of the document text.")
    document = models.TextField()
    registered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256
