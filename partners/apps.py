from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner apps and webhooks"

    def ready(self) -> None:
        from observability.metrics import scrape_collector_register

        from .metrics import WebhookBacklogCollector

        scrape_collector_register(WebhookBacklogCollector())
