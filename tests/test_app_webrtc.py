"""The camera seam's configuration: which ICE servers the connection may use."""

from __future__ import annotations

import pytest

from formcheck.ui.webrtc import ICE_SERVERS_ENV, MEDIA_CONSTRAINTS, ice_servers


def test_no_ice_servers_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ICE_SERVERS_ENV, raising=False)
    assert ice_servers() == []
    monkeypatch.setenv(ICE_SERVERS_ENV, "  ")
    assert ice_servers() == []


def test_turn_server_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    value = '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'
    monkeypatch.setenv(ICE_SERVERS_ENV, value)
    assert ice_servers() == [
        {"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("turn:turn.example.org", "is not valid JSON"),
        ('{"urls": "turn:x"}', "must be a JSON list"),
        ('[{"url": "turn:x"}]', "must be a JSON list"),
    ],
)
def test_malformed_ice_servers_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv(ICE_SERVERS_ENV, value)
    with pytest.raises(ValueError, match=message):
        ice_servers()


def test_camera_only_no_microphone() -> None:
    assert MEDIA_CONSTRAINTS["audio"] is False
