import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        # A superuser made by `createsuperuser` must be able to log in at once.
        fields.update(is_staff=True, is_superuser=True, is_active=True, email_verified=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A customer or staff member; the email address is the login."""

    email = models.EmailField(max_length=254, help_text="Login and contact address.")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True, help_text="False for deactivated accounts, whose data is kept.")
    is_staff = models.BooleanField(default=False, help_text="May manage the store.")
    email_verified = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to invalidate every access token issued before (password change, deactivation).
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Set only on the instance `accounts.tokens.access_token_user` returns: the claims of
    # the access token it was read from.
    token_claims: dict[str, Any]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RefreshToken(models.Model):
    """A long-running refresh token, stored only as a SHA-256 digest.

    Tokens of one login form a family: each use rotates to a new token of the
    family, and presenting an already rotated token revokes the whole family.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    family = models.UUIDField(default=uuid.uuid4, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Every authenticated request asks whether its login was revoked.
            models.Index(
                fields=["family"], condition=models.Q(revoked_at__isnull=False), name="refresh_revoked_family"
            ),
        ]

    def __str__(self) -> str:
        return f"refresh token {self.pk} of {self.user_id}"


class ThrottleCounter(models.Model):
    """An attempt counter of `accounts.throttle`, kept here only while the cache is unreachable."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.BigIntegerField(help_text="Unix time at which the count starts again.")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"
