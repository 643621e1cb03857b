"""Who changed something: a user (staff, or the customer themself) or a partner app.

Order history and stock movements record either: services take `actor` as
`Actor` and store it with `actor_fields(actor)`.
"""

from accounts.models import User

from .models import App

Actor = User | App | None


def actor_fields(actor: Actor) -> dict:
    """The fields of a change record naming `actor`: `actor` for a user, `actor_app` for an app."""
    if isinstance(actor, App):
        return {"actor": None, "actor_app": actor}
    return {"actor": actor if actor is not None and actor.is_authenticated else None, "actor_app": None}
