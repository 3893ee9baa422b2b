"""Drives a real `relay-explorer emulator` process with the official Azure SDKs for Python."""

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("RELAY_EXPLORER_BIN", ROOT / "target" / "debug" / "relay-explorer"))


class Emulator:
    """A running emulator: its process and its ready file."""

    def __init__(self, state_dir, *extra):
        self.state_dir = pathlib.Path(state_dir)
        self.ready_path = self.state_dir / "ready.json"
        if self.ready_path.exists():
            self.ready_path.unlink()
        if not BINARY.exists():
            raise RuntimeError(f"{BINARY} is missing: run `cargo build` first")
        self.log = open(self.state_dir.parent / f"{self.state_dir.name}.log", "ab")
        self.process = subprocess.Popen(
            [str(BINARY), "emulator", "--state-dir", str(self.state_dir), "--ready-file", str(self.ready_path), *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while not self.ready_path.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.process.returncode}; see {self.log.name}")
            if time.time() > deadline:
                raise RuntimeError("the emulator did not become ready within 60 s")
            time.sleep(0.05)
        time.sleep(0.05)
        self.info = json.loads(self.ready_path.read_text())

    def principal(self, display_name):
        return next(p for p in self.info["principals"] if p["display_name"] == display_name)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        self.log.close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    # A small page size so that every list crosses pages.
    emu = Emulator(tmp_path_factory.mktemp("emulator") / "state", "--page-size", "2", "--device-code-interval", "1")
    os.environ["REQUESTS_CA_BUNDLE"] = emu.info["ca_cert"]
    os.environ["SSL_CERT_FILE"] = emu.info["ca_cert"]
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def info(emulator):
    return emulator.info
