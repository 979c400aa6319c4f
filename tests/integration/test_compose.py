"""docker-compose.yml is valid Compose, checked offline by Debian's docker-compose."""

from __future__ import annotations

import shutil
import subprocess

import yaml

from shared.settings import ROOT


def test_compose_file_is_valid() -> None:
    tool = shutil.which("docker-compose")
    assert tool, "docker-compose missing: `make test` installs the Debian package"
    result = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_every_service_uses_its_production_command() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands = {name: svc.get("command") for name, svc in compose["services"].items()}
    assert commands["ingest"] == ["python", "-m", "services.ingest", "run"]
    for name in ("tagger", "stories", "alerting"):
        assert commands[name] == ["python", "-m", f"services.{name}", "worker"]
    assert compose["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
