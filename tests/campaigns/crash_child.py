"""Run by test_crash_kill: deliver one run with a fake send that logs every call, until SIGKILL."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import event

from campaigns.delivery import DeliveryConfig, DeliveryEngine, OutgoingMessage
from core import db

APP_NAME = "wufei_crash_child"


async def main(url: str, run_id: int, log_path: str, window: int) -> None:
    engine = db.make_engine(url)
    if engine.dialect.name == "postgresql":
        # Named, so the test can wait until PostgreSQL has finished what this process sent before the kill.
        @event.listens_for(engine.sync_engine, "connect")
        def _name(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET application_name = '{APP_NAME}'")
            cursor.close()

    sessions = db.make_session_factory(engine)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def send(message: OutgoingMessage) -> int:
        os.write(fd, f"{message.chat_id}\n".encode())  # the request "went out"
        await asyncio.sleep(0.002)
        return message.chat_id

    # Small chunks and pages: the kill comes while outbox chunks are still to be written.
    config = DeliveryConfig(
        rate=1500, window=window, per_chat_interval=0, first_chunk=100, insert_batch=150, page_size=100
    )
    await DeliveryEngine(sessions, send, config).deliver_run(run_id)
    os.write(fd, b"done\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
