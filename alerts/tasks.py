from celery import shared_task

from alerts.services import alerts_run


@shared_task(ignore_result=True)
def alerts_run_task() -> dict[str, int]:
    return alerts_run()
