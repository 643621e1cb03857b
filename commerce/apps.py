from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Commerce"

    def ready(self) -> None:
        from commerce.orders import payments as order_payments
        from commerce.orders.status import on_refund_requested
        from commerce.payments.services import on_payment_refunded, on_payment_succeeded

        on_payment_succeeded(order_payments.order_payment_succeeded)
        on_payment_refunded(order_payments.order_payment_refunded)
        on_refund_requested(order_payments.order_refund_requested)
