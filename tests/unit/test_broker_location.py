"""Where the broker is (the setting, else the running stack's stack.json, else one clear
line) and what the idempotence setting accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared import kafka, stackfile
from shared.settings import Settings


def test_the_stack_record_is_found_while_its_process_runs(tmp_path: Path) -> None:
    stackfile.write(tmp_path, "127.0.0.1:47775", embedded=True)
    record = stackfile.read(tmp_path)
    assert record is not None
    assert (record.bootstrap, record.embedded, record.pid) == ("127.0.0.1:47775", True, os.getpid())
    settings = Settings(data_dir=tmp_path)
    assert kafka.require_bootstrap(settings) == "127.0.0.1:47775"
    assert kafka.located(settings).kafka_bootstrap == "127.0.0.1:47775"
    # the setting wins over the record
    assert (
        kafka.require_bootstrap(Settings(data_dir=tmp_path, kafka_bootstrap="k:9092")) == "k:9092"
    )
    stackfile.remove(tmp_path)
    assert not stackfile.path(tmp_path).exists()


def test_a_stale_record_is_ignored_and_the_error_says_how_to_start_a_broker(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stackfile.write(tmp_path, "127.0.0.1:1", embedded=True, pid=int(gone.stdout))
    assert stackfile.read(tmp_path) is None
    with pytest.raises(kafka.NoBroker) as missing:
        kafka.require_bootstrap(Settings(data_dir=tmp_path))
    message = str(missing.value)
    assert "\n" not in message
    assert "WIREWATCH_KAFKA_BOOTSTRAP is not set" in message and "make run" in message


def test_another_stacks_record_is_not_removed(tmp_path: Path) -> None:
    stackfile.write(tmp_path, "127.0.0.1:1", embedded=False, pid=1)
    stackfile.remove(tmp_path)
    assert json.loads(stackfile.path(tmp_path).read_text())["pid"] == 1


@pytest.mark.parametrize(
    ("given", "mode"),
    [(None, "auto"), ("auto", "auto"), ("true", "true"), ("1", "true"), ("on", "true"),
     (True, "true"), ("false", "false"), ("0", "false"), (False, "false"), ("OFF", "false")],
)  # fmt: skip
def test_idempotence_is_auto_true_or_false(given: object, mode: str) -> None:
    assert Settings(kafka_idempotence=given).kafka_idempotence == mode  # type: ignore[arg-type]


def test_a_wrong_idempotence_value_names_the_setting() -> None:
    env = {**os.environ, "WIREWATCH_KAFKA_IDEMPOTENCE": "sometimes"}
    code = "from shared import settings; settings.load()"
    done = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode != 0
    assert "WIREWATCH_KAFKA_IDEMPOTENCE" in done.stderr and "Traceback" not in done.stderr
