"""What the stack tells notifications about the mail server it sends to."""

import pytest
from localstack.config import StackConfig
from localstack.mailbox import MAILBOX_SEND_CONCURRENCY
from localstack.stack import Stack


def stack(monkeypatch: pytest.MonkeyPatch, tmp_path, *, own_mailbox: bool) -> Stack:
    monkeypatch.setenv("STACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("STACK_REPLICAS", raising=False)
    made = Stack(StackConfig())
    made.admin_url, made.kafka, made.smtp = "postgresql+asyncpg://u:p@h:1/postgres", "h:9092", ("h", 25)
    made.own_mailbox = own_mailbox
    return made


def test_its_own_mailbox_takes_more_emails_at_once_than_a_provider_s_default(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NOTIFICATIONS_SEND_CONCURRENCY", raising=False)
    env = stack(monkeypatch, tmp_path, own_mailbox=True).service_env("notifications")
    assert env["NOTIFICATIONS_SEND_CONCURRENCY"] == str(MAILBOX_SEND_CONCURRENCY)
    assert MAILBOX_SEND_CONCURRENCY > 8


def test_the_environment_still_decides(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NOTIFICATIONS_SEND_CONCURRENCY", "5")
    env = stack(monkeypatch, tmp_path, own_mailbox=True).service_env("notifications")
    assert env["NOTIFICATIONS_SEND_CONCURRENCY"] == "5"


def test_a_mail_server_of_the_operator_s_keeps_the_service_s_default(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NOTIFICATIONS_SEND_CONCURRENCY", raising=False)
    env = stack(monkeypatch, tmp_path, own_mailbox=False).service_env("notifications")
    assert "NOTIFICATIONS_SEND_CONCURRENCY" not in env
