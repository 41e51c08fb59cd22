"""Report photos saved and read through each storage: the local folder and an S3-compatible
object store (moto's server mode on a free local port: the HTTP round trips and boto3's work, not a
real network). One JSON line per storage and operation, never asserts::

    {"storage": "s3", "operation": "save_new", "n": 20, "p50_ms": 61.2, "p95_ms": 70.4}

Operations: ``save_new`` (decode, EXIF, re-encode the public copy, write both), ``save_again`` (the
same bytes: nothing written), ``read_public`` (the public copy, as Open311 and the staff post read
it). Photos are 2000x1500 JPEGs with EXIF GPS, each a different colour.

    python bench/media.py [--n N]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.media import MediaStore


def photo(n: int) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "BenchCam"
    Image.new("RGB", (2000, 1500), (n % 256, (7 * n) % 256, 90)).save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def timed(fn, items) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(storage: str, operation: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    print(
        json.dumps(
            {
                "storage": storage,
                "operation": operation,
                "n": len(times),
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95, 1),
            }
        ),
        flush=True,
    )


def run(name: str, store: MediaStore, photos: list[bytes]) -> None:
    saved = []
    report(name, "save_new", timed(lambda data: saved.append(store.save(data)), photos))
    report(name, "save_again", timed(store.save, photos))
    report(name, "read_public", timed(store.public_bytes, [s.sha256 for s in saved]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    photos = [photo(n) for n in range(args.n)]
    with tempfile.TemporaryDirectory() as folder:
        run("local", MediaStore(folder), photos)

    from moto.server import ThreadedMotoServer

    from reports.media_s3 import S3Storage

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        storage = S3Storage(
            f"bench-{uuid.uuid4().hex[:8]}",
            endpoint_url=f"http://{host}:{port}",
            region="us-east-1",
            access_key_id="bench",
            secret_access_key="bench",
        )
        storage.client.create_bucket(Bucket=storage.bucket)
        run("s3", MediaStore(storage), photos)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
