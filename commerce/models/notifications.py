from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app message to one user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, help_text="What it is about, e.g. ORDER_PLACED.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    read = models.BooleanField(default=False)
    # Makes the actor that creates it idempotent under redelivery.
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read"], name="notification_user_read")]

    def __str__(self) -> str:
        return self.title


class SentEmail(models.Model):
    """A transactional email that went out; its key stops a redelivered task from sending it twice."""

    dedupe_key = models.CharField(max_length=120, unique=True)
    recipient = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        # The housekeeping purge of old records.
        indexes = [models.Index(fields=["sent_at"], name="sent_email_sent_at")]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.recipient}"
