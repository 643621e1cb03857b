"""The GraphQL documents the accounts tests send, written once."""

OPERATION_INFO = "... on OperationInfo { messages { kind message field code } }"
USER_FIELDS = "id email firstName lastName phone isActive isStaff emailVerified dateJoined"
TOKEN_FIELDS = f"token refreshToken refreshExpiresIn payload user {{ {USER_FIELDS} }}"

REGISTER = f"""
mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ __typename ... on RegisterPayload {{ ok }} {OPERATION_INFO} }}
}}"""

VERIFY_EMAIL = f"""
mutation VerifyEmail($token: String!) {{
  verifyEmail(token: $token) {{ __typename ... on VerifyEmailPayload {{ user {{ {USER_FIELDS} }} }} {OPERATION_INFO} }}
}}"""

RESEND = f"""
mutation Resend($email: String!) {{
  resendVerificationEmail(email: $email) {{ __typename ... on OkPayload {{ ok }} {OPERATION_INFO} }}
}}"""

TOKEN_AUTH = f"""
mutation TokenAuth($email: String!, $password: String!, $cookie: Boolean! = false) {{
  tokenAuth(email: $email, password: $password, cookie: $cookie) {{
    __typename ... on TokenPayload {{ {TOKEN_FIELDS} }} {OPERATION_INFO}
  }}
}}"""

REFRESH = f"""
mutation Refresh($refreshToken: String) {{
  refreshToken(refreshToken: $refreshToken) {{
    __typename ... on TokenPayload {{ {TOKEN_FIELDS} }} {OPERATION_INFO}
  }}
}}"""

VERIFY_TOKEN = f"""
mutation VerifyToken($token: String!) {{
  verifyToken(token: $token) {{ __typename ... on VerifyPayload {{ payload }} {OPERATION_INFO} }}
}}"""

REVOKE = f"""
mutation Revoke($refreshToken: String!) {{
  revokeToken(refreshToken: $refreshToken) {{ __typename ... on RevokePayload {{ revoked }} {OPERATION_INFO} }}
}}"""

LOGOUT = f"mutation {{ logout {{ __typename ... on OkPayload {{ ok }} {OPERATION_INFO} }} }}"

SOCIAL_AUTH = f"""
mutation Social($provider: String!, $accessToken: String!) {{
  socialAuth(provider: $provider, accessToken: $accessToken) {{
    __typename ... on TokenPayload {{ {TOKEN_FIELDS} }} {OPERATION_INFO}
  }}
}}"""

REQUEST_RESET = f"""
mutation RequestReset($email: String!) {{
  requestPasswordReset(email: $email) {{ __typename ... on OkPayload {{ ok }} {OPERATION_INFO} }}
}}"""

RESET_PASSWORD = f"""
mutation Reset($token: String!, $newPassword: String!) {{
  resetPassword(token: $token, newPassword: $newPassword) {{ __typename ... on OkPayload {{ ok }} {OPERATION_INFO} }}
}}"""

CHANGE_PASSWORD = f"""
mutation Change($oldPassword: String!, $newPassword: String!) {{
  changePassword(oldPassword: $oldPassword, newPassword: $newPassword) {{
    __typename ... on OkPayload {{ ok }} {OPERATION_INFO}
  }}
}}"""

UPDATE_PROFILE = f"""
mutation Profile($input: ProfileInput!) {{
  updateProfile(input: $input) {{ __typename ... on UserPayload {{ user {{ {USER_FIELDS} }} }} {OPERATION_INFO} }}
}}"""

DEACTIVATE = f"""
mutation Deactivate($password: String!) {{
  deactivateAccount(password: $password) {{ __typename ... on OkPayload {{ ok }} {OPERATION_INFO} }}
}}"""

SET_USER_ACTIVE = f"""
mutation SetActive($userId: ID!, $active: Boolean!) {{
  setUserActive(userId: $userId, active: $active) {{
    __typename ... on UserPayload {{ user {{ id email isActive }} }} {OPERATION_INFO}
  }}
}}"""

ME = f"query {{ me {{ {USER_FIELDS} }} }}"

USERS = """
query Users($filters: UserFilter, $first: Int, $after: String) {
  users(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id email isActive isStaff } }
  }
}"""
