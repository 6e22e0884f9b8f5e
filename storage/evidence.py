"""The evidence store: every fetched response goes to a WARC file with its SHA-256.

WARC files are append-only and named per crawl run and process, so a crash can only leave a
truncated last record in a file nobody writes to again; a capture row is written only after its
record is flushed and synced, so nothing half written is ever taken as evidence.
Screenshots are stored content-addressed (``screenshots/ab/<sha256>.png``).
"""

from __future__ import annotations

import hashlib
import io
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

from storage import EvidenceError


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class WarcScan:
    """What a WARC file holds: complete records, and bytes after the last one (a torn tail
    left by a process killed while writing; no capture row ever points into it)."""

    records: int
    complete_bytes: int
    torn_bytes: int


def scan_warc(path: Path) -> WarcScan:
    """Walk the gzip members of a WARC file (one record each): a member is complete only
    when its gzip trailer (CRC-32 and length) was written and checks out. Whatever follows
    the last complete member is a torn tail; it is measured, never read as a record."""
    size = path.stat().st_size
    records = complete = pos = 0
    buffer = b""
    inflater = zlib.decompressobj(31)
    head = b""
    with open(path, "rb") as fh:
        while True:
            if not buffer:
                buffer = fh.read(1 << 20)
                if not buffer:
                    break
            try:
                out = inflater.decompress(buffer)
            except zlib.error:
                break
            if len(head) < 5:
                head += out[:5]
            if not inflater.eof:
                pos += len(buffer)
                buffer = b""
                continue
            end = pos + len(buffer) - len(inflater.unused_data)
            if not head.startswith(b"WARC/"):
                break
            records, complete, pos = records + 1, end, end
            buffer = inflater.unused_data
            inflater, head = zlib.decompressobj(31), b""
    return WarcScan(records, complete, size - complete)


@dataclass(frozen=True)
class StoredResponse:
    """Where a response was archived and its fingerprint."""

    warc_file: str  # relative to the evidence folder
    warc_offset: int
    warc_length: int
    sha256: str
    length: int
    fetched_at: datetime


class EvidenceStore:
    """Appends responses to a WARC file and reads them back for verification."""

    def __init__(self, root: Path, name: str = "capture") -> None:
        self.root = Path(root)
        self.name = name
        self._handle: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._rel: str | None = None

    # -- writing -----------------------------------------------------------------------
    def _open(self) -> None:
        if self._handle is not None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        rel = f"warc/{self.name}-{stamp}-{os.getpid()}.warc.gz"
        path = self.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(path, "ab")  # noqa: SIM115 (kept open for the run)
        except OSError as exc:
            raise EvidenceError(f"cannot open evidence file {path}: {exc}") from exc
        self._writer = WARCWriter(self._handle, gzip=True)
        self._rel = rel

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
        protocol: str = "HTTP/1.1",
    ) -> StoredResponse:
        """Archive one response as a WARC ``response`` record; return where it lies."""
        self._open()
        assert self._handle is not None and self._writer is not None and self._rel is not None
        fetched_at = fetched_at or datetime.now(UTC)
        digest = sha256_hex(body)
        safe_headers = [
            (k, v)
            for k, v in headers
            if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
        ]
        safe_headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(
            f"{status} {_reason(status)}", safe_headers, protocol=protocol
        )
        record = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Payload-Digest": f"sha256:{digest}",
            },
        )
        try:
            offset = self._handle.tell()
            self._writer.write_record(record)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            length = self._handle.tell() - offset
        except OSError as exc:
            raise EvidenceError(f"cannot write evidence to {self._rel}: {exc}") from exc
        return StoredResponse(
            self._rel, offset, length, digest, len(body), fetched_at.astimezone(UTC)
        )

    def write_screenshot(self, png: bytes) -> tuple[str, str]:
        """Store a screenshot content-addressed; return (sha256, relative path)."""
        digest = sha256_hex(png)
        rel = f"screenshots/{digest[:2]}/{digest}.png"
        path = self.root / rel
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(png)
                os.replace(tmp, path)
            except OSError as exc:
                raise EvidenceError(f"cannot write screenshot {rel}: {exc}") from exc
        return digest, rel

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._handle = self._writer = self._rel = None

    # -- reading -----------------------------------------------------------------------
    def read_body(self, warc_file: str, offset: int) -> bytes:
        """Return the HTTP body of the record at ``offset`` in ``warc_file``."""
        path = self.root / warc_file
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                for record in ArchiveIterator(fh):
                    return record.content_stream().read()
        except (
            OSError,
            ValueError,
            EOFError,
            zlib.error,
            ArchiveLoadFailed,
            StatusAndHeadersParserException,
        ) as exc:
            detail = str(exc).splitlines()[0][:120] if str(exc) else ""
            raise EvidenceError(
                f"cannot read {warc_file}@{offset}: {type(exc).__name__} {detail}".rstrip()
            ) from exc
        raise EvidenceError(f"no WARC record at {warc_file}@{offset}")

    def read_file(self, rel: str) -> bytes:
        try:
            return (self.root / rel).read_bytes()
        except OSError as exc:
            raise EvidenceError(f"cannot read {rel}: {exc}") from exc

    def read_record_bytes(self, warc_file: str, offset: int, length: int) -> bytes:
        """The WARC record at ``offset`` exactly as stored (its own gzip member): copied into
        evidence bundles byte for byte. Checked to hold one readable record."""
        try:
            with open(self.root / warc_file, "rb") as fh:
                fh.seek(offset)
                data = fh.read(length)
        except OSError as exc:
            raise EvidenceError(f"cannot read {warc_file}@{offset}: {exc}") from exc
        if len(data) != length:
            raise EvidenceError(f"{warc_file}@{offset}: {len(data)} of {length} bytes left")
        record_payload(data, f"{warc_file}@{offset}")
        return data


def record_payload(data: bytes, where: str = "record") -> bytes:
    """The HTTP body of the first WARC record in ``data`` (a gzip member or a whole file)."""
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            return record.content_stream().read()
    except (ValueError, EOFError, zlib.error, ArchiveLoadFailed,
            StatusAndHeadersParserException) as exc:
        raise EvidenceError(f"{where}: not a readable WARC record ({type(exc).__name__})") from exc
    raise EvidenceError(f"{where}: no WARC record")


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
