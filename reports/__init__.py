"""Dumping reports (非法倾倒): the domain half, free of aiogram and of ``bot``.

- ``reports.models``   tables (reports, report_photos, report_events, report_followers, report_drafts)
- ``reports.service``  create/route, state machine with compare-and-set, queries, reminders, drafts
- ``reports.geo``      inside Jiangyin, routing to one of the 18 units, distances
- ``reports.geocode``  address -> point (online Nominatim-style, offline gazetteer fallback)
- ``reports.media``    photo storage (originals + EXIF-free public copies), EXIF GPS/time
- ``reports.open311``  GeoReport v2 aiohttp application
"""
