"""The typed context every resolver receives, over HTTP and websockets."""

from dataclasses import dataclass, field
from typing import Any

import strawberry
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from accounts.errors import InvalidToken
from accounts.models import User
from partners.models import App


@dataclass
class Context:
    request: HttpRequest | Any
    response: HttpResponse | None
    user: User | AnonymousUser = field(default_factory=AnonymousUser)
    # A partner app calling with `Authorization: App <token>`; `user` is then anonymous.
    app: App | None = None
    # HTTP: why the access token sent with the request does not authenticate.
    token_error: InvalidToken | None = None
    # Websocket connections only: the `connection_init` payload.
    connection_params: dict | None = None

    @property
    def is_websocket(self) -> bool:
        return self.response is None

    @property
    def signed_in_user(self) -> User:
        """The user of a resolver behind `IsAuthenticated` or `IsStaff`."""
        assert isinstance(self.user, User), "the resolver's permissions let an anonymous caller through"
        return self.user

    @property
    def viewer(self) -> User | AnonymousUser | App:
        """Whom reads are scoped to: the partner app calling, else the user."""
        return self.app or self.user


Info = strawberry.Info[Context, None]
