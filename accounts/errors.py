from infra.errors import DomainError, ErrorKind


class InvalidCredentials(DomainError):
    code = "INVALID_CREDENTIALS"
    kind = ErrorKind.PERMISSION
    # The same words for an unknown email, a wrong password, an unverified or a
    # deactivated account: the answer must not tell which.
    default_message = "Please enter a correct email and password."


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"
    kind = ErrorKind.PERMISSION
    default_message = "The token is invalid or has expired."


class TokenExpired(InvalidToken):
    code = "TOKEN_EXPIRED"
    default_message = "The access token has expired: refresh it."


class InvalidPassword(DomainError):
    code = "INVALID_PASSWORD"
    kind = ErrorKind.VALIDATION
    default_message = "The password is not correct."


class SocialAuthFailed(DomainError):
    code = "SOCIAL_AUTH_FAILED"
    kind = ErrorKind.PERMISSION
    default_message = "The provider did not confirm this login."


class EmailNotVerifiedByProvider(DomainError):
    code = "EMAIL_NOT_VERIFIED"
    kind = ErrorKind.PERMISSION
    default_message = "The provider has not verified this email address."
