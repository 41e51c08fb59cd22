"""Long-lived parts of features (schedulers, senders, HTTP APIs), started and stopped with the app.

Each module defines ``async def start(app)``, ``async def stop(app)`` and ``def web_routes(app)``
returning aiohttp sub-applications or route tables to mount on the bot's web server (or nothing).
"""
