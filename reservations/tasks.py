from celery import shared_task

from reservations.services import reservations_expire


@shared_task(ignore_result=True)
def reservations_expire_task() -> int:
    return reservations_expire()
