"""The evidence store: every fetched response goes to a WARC file with its SHA-256.

WARC files are append-only and named per crawl run and process, so a crash can only leave a
truncated last record in a file nobody writes to again; a capture row is written only after its
record is flushed and synced, so nothing half written is ever taken as evidence.
Screenshots are stored content-addressed (``screenshots/ab/<sha256>.png``).
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import shutil
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
from warcio.warcwriter import WARCWriter

from storage import EvidenceError

log = logging.getLogger(__name__)


class EvidenceFullError(EvidenceError):
    """The evidence folder has no room left (disk full, quota, file size limit)."""

    def __init__(self, message: str, folder: Path, free_bytes: int) -> None:
        super().__init__(message)
        self.folder = folder
        self.free_bytes = free_bytes


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
    """Appends responses to a WARC file and reads them back for verification.

    Each record is built in memory (its own gzip member) and appended to the file with plain
    ``os.write`` calls, so the store always knows the exact end of what it wrote. ``sync``
    (fsync) marks everything written so far durable; a write that fails (disk full) cuts the
    file back to the last durable end, so no half-written record stays behind.
    """

    def __init__(self, root: Path, name: str = "capture") -> None:
        self.root = Path(root)
        self.name = name
        self._fd: int | None = None
        self._rel: str | None = None
        self._end = 0  # end of the last record written
        self._durable = 0  # end of the last record synced to disk

    # -- writing -----------------------------------------------------------------------
    def open(self) -> str:
        """Create this process's WARC file now (a crawl does so at start, so every crawl
        process leaves its file, empty if it archived nothing); its path in the folder."""
        self._open()
        assert self._rel is not None
        return self._rel

    def _open(self) -> None:
        if self._fd is not None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        rel = f"warc/{self.name}-{stamp}-{os.getpid()}.warc.gz"
        path = self.root / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._end = self._durable = os.fstat(self._fd).st_size
        except OSError as exc:
            raise self._error(f"cannot open evidence file {path}", exc) from exc
        self._rel = rel

    @property
    def unsynced_bytes(self) -> int:
        """Bytes written since the last :meth:`sync` (records not yet durable)."""
        return self._end - self._durable

    def write_response(
        self,
        url: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
        protocol: str = "HTTP/1.1",
        sync: bool = True,
    ) -> StoredResponse:
        """Archive one response as a WARC ``response`` record; return where it lies.

        ``sync=False`` leaves the record to the next :meth:`sync` (batched writes: no capture
        may point to the record before that sync has returned)."""
        self._open()
        assert self._fd is not None and self._rel is not None
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
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        record = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Payload-Digest": f"sha256:{digest}",
            },
        )
        writer.write_record(record)
        data = buffer.getvalue()
        offset = self._end
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            self._cut_back()
            raise self._error(f"cannot write evidence to {self._rel}", exc) from exc
        self._end = offset + len(data)
        if sync:
            self.sync()
        return StoredResponse(
            self._rel, offset, len(data), digest, len(body), fetched_at.astimezone(UTC)
        )

    def sync(self) -> None:
        """Make every record written so far durable (fsync). On failure the records written
        since the last sync are cut off the file and :class:`EvidenceError` is raised."""
        if self._fd is None or self._end == self._durable:
            return
        try:
            os.fsync(self._fd)
        except OSError as exc:
            self._cut_back()
            raise self._error(f"cannot sync evidence file {self._rel}", exc) from exc
        self._durable = self._end

    def _cut_back(self) -> None:
        """Cut the file back to its last durable end (what a failed write left is dropped).
        If even that fails, the tail stays as a torn record that :func:`scan_warc` measures
        and no capture points into."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._durable)
            os.fsync(self._fd)
        except OSError:
            log.warning("could not cut %s back to %d bytes", self._rel, self._durable)
        self._end = self._durable

    def _error(self, what: str, exc: OSError) -> EvidenceError:
        """A clear error; a full disk names the evidence folder and its free space."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            try:
                free = shutil.disk_usage(self.root).free
            except OSError:
                free = -1
            return EvidenceFullError(
                f"evidence folder {self.root} is full ({free:,} bytes free): {what}: "
                f"{exc.strerror or exc}",
                folder=self.root,
                free_bytes=free,
            )
        return EvidenceError(f"{what}: {exc}")

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
        """Sync what is left and close the file."""
        if self._fd is not None:
            try:
                self.sync()
            finally:
                os.close(self._fd)
        self._fd = self._rel = None
        self._end = self._durable = 0

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
