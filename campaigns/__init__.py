"""Campaigns of the waste-free cells (无废校园/小区/菜场/工厂).

A domain package: no aiogram, no ``bot`` imports. Services take an ``AsyncSession`` (or a session
factory) and plain values and return plain dataclasses; the Telegram send is injected.

- ``models``: cells, subscriptions, campaigns, campaign_runs, outbox (migration 0003_campaigns).
- ``cells``: create/edit/retire/list cells, ``cell-<id>`` deep-link payloads, QR code PNGs.
- ``subscriptions``: subscribe/unsubscribe/list, ``Audience`` and who it reaches (rules there).
- ``schedule``: pure schedule arithmetic (Asia/Shanghai, quiet hours), parsing and formatting.
- ``service``: campaigns as rows (create, edit, pause, resume, cancel, runs).
- ``scheduler``: ``CampaignScheduler``: APScheduler jobs rebuilt from the table, missed runs.
- ``delivery``: ``DeliveryEngine``: outbox + rate-limited, crash-safe sender; typed send errors.

Wiring in the bot (sketch)::

    engine = DeliveryEngine(sessions, send=telegram_send, config=DeliveryConfig(rate=25))
    async def deliver(run_id):
        stats = await engine.deliver_run(run_id)
        await tell_author(stats)            # RunStats: targeted, sent, blocked, failed, ...
    scheduler = CampaignScheduler(sessions, deliver, grace=timedelta(hours=1), on_missed=tell_author_missed)
    await scheduler.start()                 # on start-up; ``await engine.stop()`` + ``scheduler.shutdown()`` on exit

where ``telegram_send(OutgoingMessage) -> message_id`` calls ``send_message``/``send_photo`` and maps
aiogram's errors: ``TelegramRetryAfter`` -> ``RetryAfter(e.retry_after)``, ``TelegramForbiddenError``
-> ``Blocked``, ``TelegramBadRequest`` -> ``BadRequest(e.message)``, ``TelegramServerError`` and
connection errors raised before the request was sent -> ``Transient``, timeouts after the request
went out -> ``Uncertain`` (mapping those to ``Transient`` would risk sending a message twice).
"""
