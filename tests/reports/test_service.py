"""Storing concern reports: encrypted at rest, one report per submission, files checked."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from sqlalchemy import select, text, update

from core.app_keys import person_hasher_key, sessions_key
from core.crypto import DataCipher, new_key
from core.errors import ValidationFailed
from core.uploads import Upload
from notifications.models import OutboxMessage
from reports.models import ConcernReport, ReportAttachment
from reports.schemas import ConcernReportIn
from reports.service import ConcernReportService
from tests.conftest import make_settings
from tests.reports.conftest import (
    IDENTITY_NUMBER,
    JPEG,
    PDF,
    PNG,
    SECRET_TEXT,
    report_payload,
)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def report(**overrides: Any) -> ConcernReportIn:
    return ConcernReportIn.model_validate(report_payload(**overrides))


async def raw_rows(client: TestClient[Any, Any], sql: str) -> list[Any]:
    async with client.app[sessions_key]() as session:
        return list((await session.execute(text(sql))).all())


async def test_report_gets_a_reference_and_is_encrypted_at_rest(
    client: TestClient[Any, Any], service: ConcernReportService, settings: Any
) -> None:
    submitted = await service.submit(
        report(), [Upload("piirustus.png", PNG), Upload("lausunto.pdf", PDF)]
    )
    assert re.fullmatch(r"OR-\d{4}-000001", submitted.reference)
    assert submitted.created

    rows = await raw_rows(client, "SELECT * FROM concern_reports")
    dumped = repr(rows).encode() + b"".join(
        bytes(value) for row in rows for value in row if isinstance(value, bytes | memoryview)
    )
    # (The phone by its long digits: a short one turns up in any hex hash or base64 by chance.)
    for secret in (SECRET_TEXT, IDENTITY_NUMBER, "Eino Esimerkki", "Kallion koulu", "401234567"):
        assert secret.encode() not in dumped
    attachments = await raw_rows(client, "SELECT filename, blob_id FROM concern_report_attachments")
    assert len(attachments) == 2
    assert all(b"piirustus" not in bytes(name) for name, _ in attachments)

    files = stored_files(settings.file_store)
    assert len(files) == 2
    for path in files:
        stored = path.read_bytes()
        assert PNG not in stored and PDF not in stored and b"PNG" not in stored
        assert path.name in {blob for _, blob in attachments}


async def test_receipt_email_carries_only_the_reference(
    client: TestClient[Any, Any], service: ConcernReportService
) -> None:
    submitted = await service.submit(report())
    async with client.app[sessions_key]() as session:
        (message,) = (await session.scalars(select(OutboxMessage))).all()
    assert message.recipient == "olli.opettaja@koulu.example.fi"
    assert submitted.reference in message.subject and submitted.reference in message.body_text
    for personal in ("Eino", "Esimerkki", IDENTITY_NUMBER, "lyö", "Olli"):
        assert personal not in message.subject + message.body_text


async def test_double_submit_makes_one_report(service: ConcernReportService) -> None:
    payload = report()
    first = await service.submit(payload, [Upload("kuva.jpg", JPEG)])
    second = await service.submit(payload, [Upload("kuva.jpg", JPEG)])
    assert second.reference == first.reference
    assert not second.created


async def test_concurrent_submissions_get_distinct_references_and_one_per_submission(
    client: TestClient[Any, Any], service: ConcernReportService, settings: Any
) -> None:
    repeated = report()
    results = await asyncio.gather(
        *(service.submit(report()) for _ in range(6)),
        *(service.submit(repeated) for _ in range(4)),
    )
    references = [result.reference for result in results]
    assert len(set(references[:6])) == 6
    assert len(set(references[6:])) == 1
    assert len(set(references)) == 7
    numbers = sorted(int(reference[-6:]) for reference in set(references))
    assert numbers == list(range(1, 8))
    async with client.app[sessions_key]() as session:
        assert len((await session.scalars(select(ConcernReport))).all()) == 7


async def test_attachment_whose_name_lies_about_its_content_is_refused(
    service: ConcernReportService, settings: Any
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await service.submit(report(), [Upload("todistus.pdf", PNG)])
    assert set(refused.value.fields) == {"attachments.0"}
    with pytest.raises(ValidationFailed):
        await service.submit(report(), [Upload("ohjelma.png", b"MZ\x90\x00 not an image")])
    with pytest.raises(ValidationFailed):
        await service.submit(report(), [Upload("kuva.png", b"GIF89a")])
    assert stored_files(settings.file_store) == []


async def test_too_many_or_too_large_attachments_are_refused(
    service: ConcernReportService,
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await service.submit(report(), [Upload(f"{n}.png", PNG) for n in range(6)])
    assert "attachments" in refused.value.fields
    big = PDF + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(ValidationFailed) as refused:
        await service.submit(report(), [Upload("iso.pdf", big)])
    assert "attachments.0" in refused.value.fields


async def test_invalid_answers_name_every_bad_field(service: ConcernReportService) -> None:
    payload = report_payload()
    payload["reporter"] = {"name": "Olli", "phone": "123", "email": "ei-osoite"}
    payload["child"] = {"name": "Eino", "identity_number": "010516B903Y"}
    payload["informed"] = {"guardians_told": False, "child_told": False}
    with pytest.raises(ValidationFailed) as refused:
        await service.submit(ConcernReportIn.model_validate(payload))
    assert set(refused.value.fields) == {
        "reporter.role",
        "reporter.organisation",
        "reporter.phone",
        "reporter.email",
        "child.identity_number",
        "informed.why_not",
    }


async def test_private_person_may_stay_anonymous(service: ConcernReportService) -> None:
    submitted = await service.submit(
        report(
            reporter_kind="private",
            reporter={},
            child={"name": "Eino", "date_of_birth": "2016-05-01"},
        )
    )
    assert submitted.created


async def test_date_of_birth_in_the_future_is_refused(service: ConcernReportService) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await service.submit(report(child={"name": "Eino", "date_of_birth": "2999-01-01"}))
    assert set(refused.value.fields) == {"child.date_of_birth"}


async def test_reports_under_their_former_fernet_keys_move_to_the_data_keys(
    client: TestClient[Any, Any], database_url: str, settings: Any
) -> None:
    """A report stored before reports joined the shared facility (Fernet, its own keys, no
    keyed hashes) still reads while KOHTAAMO_REPORT_KEYS holds its key; the rotation moves its
    content, file name and file to the data keys and gives it its hashes, and then it reads
    without that setting. A second rotation moves everything again to a new data key."""
    sessions, hasher = client.app[sessions_key], client.app[person_hasher_key]
    service = ConcernReportService(sessions, settings, hasher)
    submitted = await service.submit(report(), [Upload("kuva.png", PNG)])
    former = Fernet.generate_key().decode()
    fernet = Fernet(former)
    async with sessions.begin() as session:
        row = await session.scalar(
            select(ConcernReport).where(ConcernReport.reference == submitted.reference)
        )
        assert row is not None
        row.content = fernet.encrypt(service.cipher.decrypt(row.content))
        attachment = await session.scalar(
            select(ReportAttachment).where(ReportAttachment.report_id == row.id)
        )
        assert attachment is not None
        attachment.filename = fernet.encrypt(b"kuva.png")
        row.reporter_email_hash = row.reporter_phone_hash = row.child_identity_hash = None
        report_id, blob_id = row.id, attachment.blob_id
    path = service.store.path(blob_id)
    path.write_bytes(fernet.encrypt(service.store.read(blob_id)))

    with_former = make_settings(
        database_url, file_store=str(settings.file_store), report_keys=former
    )
    rotating = ConcernReportService(sessions, with_former, hasher)
    assert await rotating.reencrypt() == 3  # the report, the file's name and the file
    assert await rotating.reencrypt() == 0  # nothing left under the former key

    reader = ConcernReportService(sessions, settings, hasher)
    async with sessions() as session:
        row = await session.get(ConcernReport, report_id)
        assert row is not None
        assert row.content.startswith(b"k1.")
        assert SECRET_TEXT in reader.cipher.decrypt_text(row.content)
        assert row.child_identity_hash == hasher.identity_code(IDENTITY_NUMBER)
        assert row.reporter_phone_hash == hasher.phone("+358401234567")
    assert path.read_bytes().startswith(b"k1.")
    assert reader.store.read(blob_id) == PNG

    newer = make_settings(
        database_url,
        file_store=str(settings.file_store),
        data_keys=f"{new_key()},{settings.data_keys[0]}",
    )
    assert await ConcernReportService(sessions, newer, hasher).reencrypt() == 3
    assert ConcernReportService(sessions, newer, hasher).store.read(blob_id) == PNG


async def test_reports_that_led_to_nothing_are_deleted_after_retention_and_it_is_logged(
    client: TestClient[Any, Any], service: ConcernReportService, settings: Any
) -> None:
    from datetime import timedelta

    from audit.models import AccessLogEntry
    from core.db import utcnow
    from reports.models import INVESTIGATION_NOT_OPENED, INVESTIGATION_OPENED

    old_nothing = await service.submit(report(submission_id="a" * 32), [Upload("x.png", PNG)])
    old_opened = await service.submit(report(submission_id="b" * 32))
    recent_nothing = await service.submit(report(submission_id="c" * 32))
    long_ago = utcnow() - timedelta(days=settings.report_retention_days + 1)
    async with client.app[sessions_key].begin() as session:
        for reference, status, decided in (
            (old_nothing.reference, INVESTIGATION_NOT_OPENED, long_ago),
            (old_opened.reference, INVESTIGATION_OPENED, long_ago),
            (recent_nothing.reference, INVESTIGATION_NOT_OPENED, utcnow()),
        ):
            await session.execute(
                update(ConcernReport)
                .where(ConcernReport.reference == reference)
                .values(status=status, decided_at=decided)
            )
    assert len(stored_files(settings.file_store)) == 1

    assert await service.delete_expired() == [old_nothing.reference]
    assert await service.delete_expired() == []

    async with client.app[sessions_key]() as session:
        left = set(await session.scalars(select(ConcernReport.reference)))
        logged = (
            await session.scalars(
                select(AccessLogEntry).where(AccessLogEntry.action == "concern_report.deleted")
            )
        ).all()
    assert left == {old_opened.reference, recent_nothing.reference}
    assert stored_files(settings.file_store) == []
    assert [(entry.subject_id, entry.actor_kind, entry.purpose) for entry in logged] == [
        (old_nothing.reference, "system", "retention")
    ]


async def test_files_of_reports_never_sent_are_swept_after_a_day(
    service: ConcernReportService, settings: Any
) -> None:
    from datetime import timedelta

    from core.db import utcnow

    sent_file = await service.stage("s" * 32, Upload("kuva.png", PNG))
    await service.stage("u" * 32, Upload("hylätty.png", PNG))
    await service.submit(report(submission_id="s" * 32), staged=[sent_file])
    assert len(stored_files(settings.file_store)) == 2

    assert await service.delete_unsent_files() == 0  # too young: maybe still being filled in
    later = utcnow() + timedelta(days=2)
    service._clock = lambda: later
    assert await service.delete_unsent_files() == 1
    (left,) = stored_files(settings.file_store)
    assert left.name == sent_file.blob_id


async def test_a_staged_file_is_only_accepted_for_its_own_report(
    service: ConcernReportService,
) -> None:
    staged = await service.stage("s" * 32, Upload("kuva.png", PNG))
    assert service.staged_file("s" * 32, staged.value) == staged
    assert service.staged_file("t" * 32, staged.value) is None
    assert service.staged_file("s" * 32, staged.value.replace("kuva", "muu")) is None


async def test_server_reencrypt_moves_reports_with_everything_else_and_retires_the_old_key(
    client: TestClient[Any, Any], database_url: str, settings: Any
) -> None:
    from server import _reencrypt

    service = ConcernReportService(
        client.app[sessions_key], settings, client.app[person_hasher_key]
    )
    submitted = await service.submit(report(), [Upload("kuva.png", PNG)])
    old_key = settings.data_keys[0]
    fresh = new_key()
    rotating = make_settings(
        database_url, file_store=str(settings.file_store), data_keys=f"{fresh},{old_key}"
    )
    progress = await _reencrypt(rotating, 2)
    assert progress.rewritten >= 3  # the report, its file's name and the file at least
    assert progress.retired_keys == (DataCipher([old_key]).newest_key_id,)

    only_new = make_settings(database_url, file_store=str(settings.file_store), data_keys=fresh)
    reader = ConcernReportService(client.app[sessions_key], only_new, client.app[person_hasher_key])
    async with client.app[sessions_key]() as session:
        row = await session.scalar(
            select(ConcernReport).where(ConcernReport.reference == submitted.reference)
        )
    assert row is not None
    assert SECRET_TEXT in reader.cipher.decrypt_text(row.content)
    (blob,) = list(reader.store.blob_ids())
    assert reader.store.read(blob) == PNG
