from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner apps and webhooks"

    def ready(self) -> None:
        from infra.domain_events import handlers_register
        from observability.metrics import scrape_collector_register

        from .handlers import HANDLERS
        from .metrics import WebhookBacklogCollector

        scrape_collector_register(WebhookBacklogCollector())
        handlers_register(HANDLERS)  # the partner webhooks of domain events
