"""Expected failures of the commerce domain, each with its stable code."""

from infra.errors import DomainError, ErrorKind


class CommerceError(DomainError):
    code = "COMMERCE_ERROR"


class OutOfStock(CommerceError):
    code = "OUT_OF_STOCK"
    default_message = "Not enough stock."


class InvalidQuantity(CommerceError):
    code = "INVALID_QUANTITY"
    kind = ErrorKind.VALIDATION
    default_message = "The quantity is not valid."


class ProductUnavailable(CommerceError):
    code = "PRODUCT_UNAVAILABLE"
    default_message = "This product is no longer available."


class EmptyCart(CommerceError):
    code = "EMPTY_CART"
    default_message = "Your cart is empty."


class InvalidCartToken(CommerceError):
    code = "INVALID_CART_TOKEN"
    kind = ErrorKind.PERMISSION
    default_message = "This cart has expired or does not exist. Start a new cart."


class InvalidTransition(CommerceError):
    code = "INVALID_TRANSITION"
    default_message = "The order cannot move to that status."


class AlreadyExists(CommerceError):
    code = "ALREADY_EXISTS"
    kind = ErrorKind.VALIDATION
    default_message = "This already exists."


class VariantRequired(CommerceError):
    code = "VARIANT_REQUIRED"
    kind = ErrorKind.VALIDATION
    default_message = "This product comes in several variants; choose one."


class UnknownOption(CommerceError):
    code = "UNKNOWN_OPTION"
    kind = ErrorKind.VALIDATION
    default_message = "Use the product's options, one value for each."


class InvalidCountry(CommerceError):
    code = "INVALID_COUNTRY"
    kind = ErrorKind.VALIDATION
    default_message = "Use a two-letter ISO 3166-1 country code, e.g. DE."


class OrderNotPayable(CommerceError):
    code = "ORDER_NOT_PAYABLE"
    default_message = "This order cannot be paid in its current state."


class PaymentNotRefundable(CommerceError):
    code = "PAYMENT_NOT_REFUNDABLE"
    default_message = "This payment cannot be refunded."


class InvalidRefundAmount(CommerceError):
    code = "INVALID_REFUND_AMOUNT"
    kind = ErrorKind.VALIDATION
    default_message = "The refund amount must be positive and at most what is left to refund."


class InvalidPaymentState(CommerceError):
    code = "INVALID_PAYMENT_STATE"
    default_message = "The payment is not in a state that allows this."


class PaymentInProgress(CommerceError):
    code = "PAYMENT_IN_PROGRESS"
    default_message = "A payment of this order is already in progress; complete it or wait until it fails."


class VoucherInvalid(CommerceError):
    code = "VOUCHER_INVALID"
    default_message = "There is no voucher with this code."


class VoucherExpired(CommerceError):
    code = "VOUCHER_EXPIRED"
    default_message = "This voucher has expired."


class VoucherUsedUp(CommerceError):
    code = "VOUCHER_USED_UP"
    default_message = "This voucher has been used up."


class VoucherMinSubtotal(CommerceError):
    code = "VOUCHER_MIN_SUBTOTAL"
    default_message = "Your cart does not reach this voucher's minimum subtotal."


class ShippingMethodRequired(CommerceError):
    code = "SHIPPING_METHOD_REQUIRED"
    kind = ErrorKind.VALIDATION
    default_message = "Choose a shipping method."


class ShippingMethodUnavailable(CommerceError):
    code = "SHIPPING_METHOD_UNAVAILABLE"
    kind = ErrorKind.VALIDATION
    default_message = "This shipping method does not ship to your address's country."


class OrderNotFulfillable(CommerceError):
    code = "ORDER_NOT_FULFILLABLE"
    default_message = "Only paid orders can be shipped."


class FulfilmentExceedsOrder(CommerceError):
    code = "FULFILMENT_EXCEEDS_ORDER"
    kind = ErrorKind.VALIDATION
    default_message = "More units than are left to ship."
