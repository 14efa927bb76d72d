from django.apps import AppConfig


class RTCPoolConfig(AppConfig):
    name = "rtcpool_django"
    verbose_name = "RTC pools"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            conf,  # noqa: F401  (connects setting_changed)
            metrics,
        )

        metrics.configure()
