"""Who changed something: a staff user or a partner app.

Order history records either; `order_transition(actor=...)` takes both and
stores them with `status_change_actor_fields(actor)`.
"""

from accounts.models import User

from .models import App

Actor = User | App | None


def status_change_actor_fields(actor: Actor) -> dict:
    """The `OrderStatusChange` fields naming `actor`: `actor` for a user, `actor_app` for an app."""
    if isinstance(actor, App):
        return {"actor": None, "actor_app": actor}
    return {"actor": actor if actor is not None and actor.is_authenticated else None, "actor_app": None}
