from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Commerce"

    def ready(self) -> None:
        # The commerce handlers of domain events, all of them (infra.domain_events).
        from commerce.fulfilment import events as fulfilment
        from commerce.notifications import handlers as notifications
        from commerce.orders import events as orders
        from commerce.payments import events as payments
        from infra.domain_events import handlers_register

        handlers_register([*orders.HANDLERS, *payments.HANDLERS, *fulfilment.HANDLERS, *notifications.HANDLERS])
