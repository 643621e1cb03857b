from django.apps import AppConfig


class InfraConfig(AppConfig):
    """Shared infrastructure: the outbox, trusted documents, errors, health, connections.

    Its label stays `fmcore`, the label these models had before the composition
    root and the infrastructure were split: their tables and `django_migrations`
    rows keep their names, so a database migrated before the split needs nothing.
    """

    name = "infra"
    label = "fmcore"
    verbose_name = "Infrastructure"
