import strawberry
import strawberry_django

from commerce.vouchers import policy as vouchers_policy
from commerce.vouchers import selectors
from schema.connection import Connection
from schema.permissions import Allowed

from .types import VoucherType


@strawberry.type
class VoucherQueries:
    @strawberry_django.connection(
        Connection[VoucherType],
        description="Every voucher, newest first (staff only).",
        extensions=[Allowed(vouchers_policy.may_manage_vouchers)],
    )
    def vouchers(self) -> list[VoucherType]:
        return selectors.voucher_list()  # type: ignore[return-value]
