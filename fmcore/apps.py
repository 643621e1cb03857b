from django.apps import AppConfig


class CompositionRootConfig(AppConfig):
    """The composition root: settings, urls, asgi, management commands, GraphiQL's templates
    and static files. It has no models; the label `fmcore` belongs to `infra` (infra/apps.py)."""

    name = "fmcore"
    label = "fmcore_root"
    verbose_name = "fm-core"
