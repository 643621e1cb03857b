"""Who is calling: anonymous, a guest (by cart token), a customer, staff, a
partner app with scopes, or the system itself (payment providers, jobs).

The API builds one `Principal` per HTTP request and per websocket connection
(`schema.context.Context.principal`); services, selectors and the policy
modules (`commerce/<domain>/policy.py`) take it to answer "may this caller
...?". Whether an app holds a scope is asked here, through `has_scope`, and
nowhere else.
"""

from dataclasses import dataclass
from enum import Enum

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from commerce.cart.guests import Guest
from partners.models import App


class PrincipalKind(Enum):
    ANONYMOUS = "anonymous"
    GUEST = "guest"
    CUSTOMER = "customer"
    STAFF = "staff"
    APP = "app"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    user: User | None = None
    app: App | None = None
    guest: Guest | None = None

    @classmethod
    def anonymous(cls) -> "Principal":
        return cls(PrincipalKind.ANONYMOUS)

    @classmethod
    def system(cls) -> "Principal":
        return cls(PrincipalKind.SYSTEM)

    @classmethod
    def for_user(cls, user: User | AnonymousUser) -> "Principal":
        """A logged-in, active user: staff or a customer; anyone else is anonymous."""
        if not isinstance(user, User) or not user.is_active:
            return cls.anonymous()
        return cls(PrincipalKind.STAFF if user.is_staff else PrincipalKind.CUSTOMER, user=user)

    @classmethod
    def for_app(cls, app: App) -> "Principal":
        return cls(PrincipalKind.APP, app=app)

    @classmethod
    def for_guest(cls, guest: Guest) -> "Principal":
        return cls(PrincipalKind.GUEST, guest=guest)

    @classmethod
    def of_actor(cls, actor: User | AnonymousUser | App | None) -> "Principal":
        """The principal of a recorded actor (`partners.change_actor.Actor`); None is the system."""
        if actor is None:
            return cls.system()
        if isinstance(actor, App):
            return cls.for_app(actor)
        return cls.for_user(actor)

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.STAFF

    @property
    def is_system(self) -> bool:
        return self.kind is PrincipalKind.SYSTEM

    @property
    def customer(self) -> User | None:
        """The logged-in user when a customer (not staff), else None."""
        return self.user if self.kind is PrincipalKind.CUSTOMER else None

    @property
    def actor(self) -> User | App | None:
        """Who to record as the actor of a change: the user or the app; None for anyone else."""
        return self.app or self.user

    def has_scope(self, scope: str) -> bool:
        """Does the calling partner app hold `scope`? An inactive app holds none (`App.has_scope`)."""
        return self.app is not None and self.app.has_scope(str(scope))

    def may(self, scope: str) -> bool:
        """May the caller do what `scope` grants? Staff and the system may do
        everything; a partner app what its scopes grant; nobody else."""
        return self.is_staff or self.is_system or self.has_scope(scope)
