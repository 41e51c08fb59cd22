"""A real S3-compatible server for the object-store media tests: moto's server mode
(``ThreadedMotoServer``, from the ``moto[server]`` package) on a free local port, one per test
session, and a fresh bucket per test. Requests go over HTTP, signed by boto3, as to any S3.

    from tests.support.s3 import s3, s3_server  # noqa: F401  (fixtures)

    def test_x(s3):
        store = MediaStore(s3.storage())
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass

import pytest

from reports.media_s3 import S3Storage

KEY_ID = "wufei-test"
SECRET = "wufei-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Bucket:
    endpoint: str
    bucket: str

    def storage(self, **overrides) -> S3Storage:
        values = dict(endpoint_url=self.endpoint, region=REGION, access_key_id=KEY_ID, secret_access_key=SECRET)
        values.update(overrides)
        return S3Storage(self.bucket, **values)

    def settings(self) -> dict:
        """The ``Settings`` values of an instance that keeps its photos in this bucket."""
        return dict(
            media_s3_bucket=self.bucket,
            media_s3_endpoint_url=self.endpoint,
            media_s3_region=REGION,
            media_s3_access_key_id=KEY_ID,
            media_s3_secret_access_key=SECRET,
        )

    def keys(self) -> list[str]:
        listing = self.storage().client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def unreachable_endpoint() -> str:
    """An address where nothing listens: an object store that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server) -> S3Bucket:
    bucket = S3Bucket(s3_server, f"wufei-{uuid.uuid4().hex[:12]}")
    bucket.storage().client.create_bucket(Bucket=bucket.bucket)
    return bucket


class StoppableS3(S3Bucket):
    """A bucket on a moto server of its own, which a test stops (the object store is down) and
    starts again on the same address (moto keeps its buckets in the process, so nothing is lost)."""

    def __init__(self, host: str, port: int, bucket: str) -> None:
        super().__init__(f"http://{host}:{port}", bucket)
        object.__setattr__(self, "_address", (host, port))
        object.__setattr__(self, "_server", None)

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address=self._address[0], port=self._address[1], verbose=False)
        server.start()
        object.__setattr__(self, "_server", server)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            object.__setattr__(self, "_server", None)


@pytest.fixture
def stoppable_s3():
    with socket.socket() as sock:  # a free port, kept for the restart
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = StoppableS3("127.0.0.1", port, f"wufei-{uuid.uuid4().hex[:12]}")
    store.start()
    try:
        store.storage().client.create_bucket(Bucket=store.bucket)
        yield store
    finally:
        store.stop()
