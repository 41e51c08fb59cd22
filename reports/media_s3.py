"""Report photos in an S3-compatible object store (AWS S3, MinIO, Ceph, Aliyun OSS, Tencent COS ...),
so that several instances of the bot read what any of them saved. See ``reports.media_storage`` for
the rules every storage keeps.

boto3 (AWS's own client, the best kept one) is used from a worker thread, as the rest of the photo
pipeline (Pillow) already is; one client is shared by the threads (boto3 clients are thread-safe).
Objects are written without an ACL: the bucket's default, private. Object keys are the relative
paths the database keeps, under an optional ``prefix`` (one bucket for several environments).
"""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reports.media_storage import MediaUnavailable, check_key

_MISSING = {"404", "NoSuchKey", "NotFound"}
ADDRESSING_STYLES = ("auto", "path", "virtual")


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        addressing_style: str = "auto",
        connect_timeout_s: float = 5,
        read_timeout_s: float = 30,
        attempts: int = 3,
    ) -> None:
        """Without keys, boto3's usual chain applies (``AWS_ACCESS_KEY_ID``..., an instance role)."""
        if addressing_style not in ADDRESSING_STYLES:
            raise ValueError(f"addressing_style must be one of {ADDRESSING_STYLES}")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        config = Config(
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            retries={"max_attempts": attempts, "mode": "standard"},
            s3={"addressing_style": addressing_style},
            # botocore >= 1.36 adds CRC checksums to every PUT by default, which several
            # S3-compatible stores reject; they are sent only where S3 requires them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config,
        )

    def __repr__(self) -> str:
        return f"S3Storage({self.client.meta.endpoint_url}, bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _unavailable(self, error: Exception, key: str) -> MediaUnavailable:
        return MediaUnavailable(f"object store {self.client.meta.endpoint_url} bucket {self.bucket!r}, {key}: {error}")

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise self._unavailable(error, key) from error
        except BotoCoreError as error:
            raise self._unavailable(error, key) from error
        return True

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            with answer["Body"] as body:
                return body.read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise self._unavailable(error, key) from error
        except BotoCoreError as error:
            raise self._unavailable(error, key) from error

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error, key) from error

    def close(self) -> None:
        self.client.close()
