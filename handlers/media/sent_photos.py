"""A photo a worker sends the WeCom app while handling a case goes with that case's progress.

The case is the one the worker is handling: signed by them (``worker_id``), not yet finished,
the one they touched last when there are several. The photo, once kept in the media store as
the worker's upload, is recorded as a 办理进展 with the photo (``add_progress``), and the worker
is told in the app where it went, or why it went nowhere.
"""

from __future__ import annotations

from config import worker_photos as texts
from handlers.context import HandlerContext
from handlers.notify import text_payload
from handlers.outbox import enqueue
from handlers.workflow.actions import HANDLING, add_progress
from models import Case, CaseEvent, MediaFile, Worker


async def handling_case(worker: Worker) -> Case | None:
    """The case ``worker`` is handling now, or None."""
    return (
        await Case.filter(worker_id=worker.id, status__in=[s.value for s in HANDLING])
        .order_by("-updated_at", "-id")
        .first()
    )


async def tell_worker(worker: Worker, text: str, ctx: HandlerContext, case_id: int | None) -> None:
    """A line back to the worker in the WeCom app (in the caller's transaction)."""
    if worker.wecom_userid:
        await enqueue(
            "work_app",
            worker.wecom_userid,
            text_payload(text),
            ctx.now,
            purpose="worker_photo",
            case_id=case_id,
        )


async def attach_sent_photo(
    worker: Worker, case: Case, photo: MediaFile, ctx: HandlerContext
) -> CaseEvent:
    """Record the photo as progress of ``case`` and tell the worker (call in a transaction)."""
    event = await add_progress(case, worker, "", [{"media_key": photo.key}], ctx)
    await tell_worker(worker, texts.ATTACHED.format(number=case.number), ctx, case.id)
    return event
