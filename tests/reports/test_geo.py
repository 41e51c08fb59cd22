"""Inside Jiangyin or not, and which unit gets a report."""

from __future__ import annotations

import json

import pytest

from core.units import all_units
from reports import geo

GAOXIN, LINGANG = "320281400", "320281404"


def test_every_seat_is_inside_and_routes_to_its_own_unit():
    seated = geo.seated_units()
    assert len(seated) == 16 and len(all_units()) == 18
    for unit in seated:
        assert geo.inside_jiangyin(unit.lat, unit.lon), unit.name
        assert geo.route(unit.lat, unit.lon) == unit.code


@pytest.mark.parametrize(
    "lat, lon",
    [
        (31.2304, 121.4737),  # Shanghai
        (31.5700, 120.3000),  # Wuxi city centre, south of Jiangyin
        (32.0200, 120.2700),  # Jingjiang, across the Yangtze
        (31.6893, 119.9853),  # the bbox corner is not the outline
        (0.0, 0.0),
    ],
)
def test_points_outside_the_county_are_outside(lat, lon):
    assert not geo.inside_jiangyin(lat, lon)


def test_sites_without_seat_are_never_routed_automatically_but_valid_for_reassignment():
    min_lon, min_lat, max_lon, max_lat = geo.JIANGYIN_BBOX
    chosen = set()
    for i in range(25):
        for j in range(25):
            lat = min_lat + (max_lat - min_lat) * i / 24
            lon = min_lon + (max_lon - min_lon) * j / 24
            if geo.inside_jiangyin(lat, lon):
                chosen.add(geo.route(lat, lon))
    assert GAOXIN not in chosen and LINGANG not in chosen
    assert len(chosen) >= 12
    assert geo.is_valid_unit(GAOXIN) and geo.is_valid_unit(LINGANG) and not geo.is_valid_unit("320281999")


def test_distance_is_haversine_in_metres():
    assert geo.distance_m(31.0, 120.0, 32.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    assert geo.distance_m(31.91102, 120.26302, 31.91102, 120.26302) == 0
    # 澄江 seat to 青阳 seat, about 16.3 km.
    assert geo.distance_m(31.91102, 120.26302, 31.76525, 120.25188) == pytest.approx(16_250, rel=0.01)


def _square(lon, lat, half):
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def test_official_boundaries_win_when_configured(tmp_path):
    # A polygon named by unit name (高新区) and a multipolygon by code (临港) with a hole.
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "高新区"},
                "geometry": {"type": "Polygon", "coordinates": [_square(120.30, 31.88, 0.01)]},
            },
            {
                "type": "Feature",
                "properties": {"code": LINGANG},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [_square(120.15, 31.93, 0.02), _square(120.15, 31.93, 0.005)],
                        [_square(120.05, 31.95, 0.01)],
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {"name": "ignored point"},
                "geometry": {"type": "Point", "coordinates": [120.1, 31.9]},
            },
        ],
    }
    path = tmp_path / "units.geojson"
    path.write_text(json.dumps(boundaries, ensure_ascii=False), "utf-8")
    router = geo.Router(path)
    assert router.route(31.885, 120.305) == geo.Route(GAOXIN, geo.RouteMethod.POLYGON, None)
    assert router.route(31.94, 120.15).unit_code == LINGANG
    assert router.route(31.95, 120.05).unit_code == LINGANG  # second part of the multipolygon
    in_hole = router.route(31.93, 120.15)
    assert in_hole.method == geo.RouteMethod.NEAREST_SEAT and in_hole.unit_code != LINGANG
    outside_all = router.route(31.76525, 120.25188)
    assert outside_all.unit_code == "320281103" and outside_all.distance_m == pytest.approx(0)
    assert geo.route(31.885, 120.305, router) == GAOXIN

    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Atlantis"},
                        "geometry": {"type": "Polygon", "coordinates": [_square(120.3, 31.9, 0.01)]},
                    }
                ],
            }
        ),
        "utf-8",
    )
    with pytest.raises(ValueError, match="Atlantis"):
        geo.Router(path)
