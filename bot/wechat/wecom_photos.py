"""Image messages workers send the WeCom app: fetched through WeCom's media API, kept, attached.

WeCom posts an image message with a ``MediaId`` (temporary media, kept three days) and a
``MsgId``. The message is stored in ``inbound_messages`` (channel ``work``, unique by MsgId) in
the same transaction as the progress it becomes, so WeCom's retry of a callback it had no answer
to never attaches the photo twice. The photo is fetched (``/cgi-bin/media/get``, at most
``JIESU_UPLOAD_MAX_BYTES``) and kept like any upload (type from the bytes, decoded and encoded
again, EXIF gone) as the worker's own, then recorded by ``handlers.media.sent_photos``.

If WeCom cannot be reached the callback fails (503) and WeCom tries again; every other outcome
(no case in hand, a media id WeCom refuses, bytes that are no photo, a case that moved on) is
recorded with its reason and told to the worker in the app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.intake import IntakeService
from bot.wechat.parsing import MAX_FIELD_CHARS, BadMessage
from bot.wechat.wecom_client import WeComApiError, WeComClient
from config import worker_photos as texts
from config.settings import Settings
from handlers.context import HandlerContext
from handlers.media.sent_photos import attach_sent_photo, handling_case, tell_worker
from handlers.residents.images import TooManyPixels, UnreadableImage
from handlers.residents.media_store import MediaStore, UnsupportedType, store_photo
from handlers.timeline import ConcurrentChange
from handlers.workflow.actions import InvalidRequest, NotAllowed
from models import (
    Case,
    IllegalTransition,
    InboundMessage,
    InboundStatus,
    MediaFile,
    Worker,
)

logger = logging.getLogger(__name__)


class _Duplicate(Exception):
    """The message is already in the inbound log: roll back."""


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    return "" if value is None or isinstance(value, dict | list) else str(value)[:MAX_FIELD_CHARS]


@dataclass(frozen=True)
class ImageMessage:
    userid: str
    msg_id: str
    media_id: str
    create_time: int

    @property
    def dedup_key(self) -> str:
        return f"work:msg:{self.msg_id}"


def parse_image(fields: dict[str, Any]) -> ImageMessage:
    userid, msg_id, media_id = (_text(fields, n) for n in ("FromUserName", "MsgId", "MediaId"))
    if not userid or not msg_id or not media_id:
        raise BadMessage("an image message needs FromUserName, MsgId and MediaId")
    created = _text(fields, "CreateTime")
    return ImageMessage(
        userid[:64], msg_id[:32], media_id[:256], int(created) if created.isdigit() else 0
    )


@dataclass
class WecomPhotos:
    client: WeComClient
    store: MediaStore
    settings: Settings
    intake: IntakeService

    async def receive(self, fields: dict[str, Any], body: str) -> str:
        """Handle one image message; returns what happened."""
        message = parse_image(fields)
        if await InboundMessage.exists(dedup_key=message.dedup_key):
            return "duplicate"
        ctx = await self.intake.context()
        worker = await Worker.get_or_none(wecom_userid=message.userid, active=True)
        case = await handling_case(worker) if worker is not None else None
        if worker is None or case is None:
            return await self._refused(message, body, ctx, worker, None, "no_case", texts.NO_CASE)
        try:
            data = await self.client.get_media(message.media_id, self.settings.upload_max_bytes)
        except WeComApiError as problem:  # an unknown or expired media id, a file too big
            logger.info("WeCom media %s not fetched: %s", message.media_id, problem)
            return await self._refused(
                message, body, ctx, worker, case, "not_fetched", texts.NOT_FETCHED
            )
        try:
            photo = await store_photo(
                self.store,
                data,
                owner_type="worker",
                owner_id=worker.id,
                now=ctx.now,
                settings=self.settings,
            )
        except (UnsupportedType, TooManyPixels, UnreadableImage):
            return await self._refused(
                message, body, ctx, worker, case, "not_a_photo", texts.NOT_A_PHOTO
            )
        return await self._attach(message, body, ctx, worker, case, photo)

    async def _attach(
        self,
        message: ImageMessage,
        body: str,
        ctx: HandlerContext,
        worker: Worker,
        case: Case,
        photo: MediaFile,
    ) -> str:
        try:
            async with in_transaction():
                await self._record(message, body, ctx, case, "")
                await attach_sent_photo(worker, case, photo, ctx)
        except _Duplicate:
            await self._forget(photo)
            return "duplicate"
        except (InvalidRequest, NotAllowed, IllegalTransition, ConcurrentChange) as problem:
            await self._forget(photo)
            reason = texts.NOT_ATTACHED.format(number=case.number, reason=str(problem))
            return await self._refused(message, body, ctx, worker, case, "not_attached", reason)
        logger.info("WeCom photo from %s attached to case %s", message.userid, case.number)
        return "attached"

    async def _forget(self, photo: MediaFile) -> None:
        await MediaFile.filter(id=photo.id).delete()
        await self.store.delete(photo.path)

    async def _refused(
        self,
        message: ImageMessage,
        body: str,
        ctx: HandlerContext,
        worker: Worker | None,
        case: Case | None,
        result: str,
        text: str,
    ) -> str:
        try:
            async with in_transaction():
                await self._record(message, body, ctx, case, result)
                if worker is not None:
                    await tell_worker(worker, text, ctx, case.id if case else None)
        except _Duplicate:
            return "duplicate"
        logger.info("WeCom photo from %s not attached: %s", message.userid, result)
        return result

    async def _record(
        self, message: ImageMessage, body: str, ctx: HandlerContext, case: Case | None, error: str
    ) -> None:
        try:
            await InboundMessage.create(
                dedup_key=message.dedup_key,
                channel="work",
                openid=message.userid,
                msg_type="image",
                msg_id=message.msg_id,
                create_time=message.create_time,
                body=body,
                status=InboundStatus.ANSWERED,
                case_id=case.id if case is not None else None,
                error=error,
                received_at=ctx.now,
                claimed_at=ctx.now,
                processed_at=ctx.now,
            )
        except IntegrityError:
            raise _Duplicate from None
