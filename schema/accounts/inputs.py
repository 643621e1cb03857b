import strawberry


@strawberry.input
class RegisterInput:
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""


@strawberry.input
class ProfileInput:
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
