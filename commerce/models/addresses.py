from django.conf import settings
from django.db import models
from django.db.models import Q


class Address(models.Model):
    """A shipping address of a user; at most one is the default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=200)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    phone = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="address_one_default_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.city}"

    def as_snapshot(self) -> dict:
        """The copy an order keeps, unaffected by later edits."""
        fields = ["full_name", "line1", "line2", "city", "region", "postal_code", "country", "phone"]
        return {name: getattr(self, name) for name in fields}
