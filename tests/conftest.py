"""Shared test set-up: offline, on ShapesNet, no display.

Every test runs with outbound network connections blocked (loopback stays
allowed for the browser tests), so a test that would download something
fails loudly instead of passing on a developer's machine and failing in CI.
"""
import os
import socket

import pytest

os.environ.setdefault("COURSE_MODEL", "shapesnet")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class NetworkBlocked(OSError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    real_connect = socket.socket.connect
    real_create = socket.create_connection

    def guarded_connect(self, address, *a, **k):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in _LOOPBACK and self.family in (socket.AF_INET, socket.AF_INET6):
            raise NetworkBlocked(f"tests may not use the network (tried {address})")
        return real_connect(self, address, *a, **k)

    def guarded_create(address, *a, **k):
        if address[0] not in _LOOPBACK:
            raise NetworkBlocked(f"tests may not use the network (tried {address})")
        return real_create(address, *a, **k)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create)
    yield
