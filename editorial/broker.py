"""The embedded broker: kombu's filesystem transport, made safe for a worker polling it.

kombu writes a message straight into the queue folder, so a worker that lists the folder
between the file's creation and the end of the write reads half a message (or none), fails
to decode it and stops. Here a message is written under a name the worker ignores and then
renamed into the queue in one step.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{int(round(filesystem.monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot: the worker only takes files named "<anything>.<queue>.msg".
        partial = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.partial")
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc
        finally:
            if os.path.exists(partial):
                os.unlink(partial)

    def _get(self, queue: str) -> Any:
        # A message that cannot be decoded (left by a sender without the rename above, or
        # cut short by a full disk) is dropped with a warning instead of stopping the worker.
        while True:
            try:
                return super()._get(queue)
            except ValueError as exc:
                logger.warning("Dropped an unreadable message from queue %s: %s", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel
