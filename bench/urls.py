"""fm-core's urls plus the baseline views at /bench/... (bench/baseline.py)."""

from bench.baseline import urlpatterns as baseline_urlpatterns
from fmcore.urls import handler500
from fmcore.urls import urlpatterns as fmcore_urlpatterns

__all__ = ["handler500", "urlpatterns"]

urlpatterns = fmcore_urlpatterns + baseline_urlpatterns
