"""Everything under deploy/ is checked offline with the real tools: promtool for the
Prometheus config and rules, Debian's docker-compose for the compose file,
kubernetes-validate (strict, bundled schemas) for the Kubernetes manifests; and the
Grafana dashboards are checked for what Grafana needs to show them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.alerting.subscriptions import load_file
from services.stack.processes import PORT_SETTING, SERVICES
from shared.settings import ROOT, Settings
from tests.support import docs

pytestmark = pytest.mark.integration

DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
GRAFANA = DEPLOY / "grafana"
K8S = DEPLOY / "k8s"
TOOLS_VENV = ROOT / ".cache" / "tools-venv"


def default_port(service: str) -> int:
    field = PORT_SETTING[service].removeprefix("WIREWATCH_").lower()
    return int(Settings.model_fields[field].default)


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} missing: `make test` installs it (make system-deps)"
    return path


def dashboards() -> dict[str, dict[str, Any]]:
    paths = sorted((GRAFANA / "dashboards").glob("*.json"))
    return {p.name: json.loads(p.read_text()) for p in paths}


def k8s_docs() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


# --- Prometheus ----------------------------------------------------------------------------


def test_promtool_accepts_the_config_with_its_rules(tmp_path: Path) -> None:
    promtool = tool("promtool")
    result = run([promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    # The shipped config names the rules by their path in the container; check the
    # same config again with the rules where they are in the repository.
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    config["rule_files"] = [str(PROMETHEUS / "rules" / "*.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = run([promtool, "check", "config", str(tmp_path / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wirewatch.yml" in result.stdout + result.stderr


def test_promtool_accepts_the_rules() -> None:
    rules = sorted((PROMETHEUS / "rules").glob("*.yml"))
    assert rules
    result = run([tool("promtool"), "check", "rules", *map(str, rules)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_says_what_and_how_bad() -> None:
    groups = yaml.safe_load((PROMETHEUS / "rules" / "wirewatch.yml").read_text())["groups"]
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    names = {r["alert"] for r in alerts}
    assert {
        "WirewatchServiceDown",
        "WirewatchConsumerLagGrowing",
        "WirewatchDeliveryFailing",
        "WirewatchFeedsParked",
        "WirewatchDeadLetters",
    } <= names
    for rule in alerts:
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_prometheus_scrapes_every_service_on_its_port() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        target: group["labels"]["service"]
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets == {f"{name}:{default_port(name)}": name for name in SERVICES}


# --- docker-compose --------------------------------------------------------------------------


def test_compose_file_is_valid() -> None:
    result = run([tool("docker-compose"), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                 cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_compose_runs_every_service_like_make_run() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, argv in SERVICES.items():
        svc = services[name]
        port = default_port(name)
        assert svc["command"] == ["python", *argv], name
        assert f"{port}:{port}" in svc["ports"], name
        assert f"127.0.0.1:{port}/health" in " ".join(svc["healthcheck"]["test"]), name
        assert svc["image"] == services["tagger"]["image"], name


def test_compose_mounts_what_prometheus_and_grafana_read() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    mounts = {
        host.removeprefix("./"): inside.split(":")[0]
        for name in ("prometheus", "grafana")
        for host, inside in (v.split(":", 1) for v in services[name]["volumes"])
        if host.startswith("./")
    }
    assert mounts["deploy/prometheus"] == "/etc/prometheus"
    assert mounts["deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((GRAFANA / "provisioning/dashboards/wirewatch.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == mounts["deploy/grafana/dashboards"]
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]


# --- Grafana ---------------------------------------------------------------------------------


def test_dashboards_parse_and_every_panel_queries_the_provisioned_prometheus() -> None:
    datasources = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    [prometheus] = datasources["datasources"]
    assert prometheus["uid"] == "prometheus"
    boards = dashboards()
    assert set(boards) == {"overview.json", "entities.json", "stories.json", "delivery.json",
                           "feeds.json"}  # fmt: skip
    uids = [b["uid"] for b in boards.values()]
    assert len(set(uids)) == len(uids)
    for name, board in boards.items():
        assert board["panels"], name
        ids = [p["id"] for p in board["panels"]]
        assert len(set(ids)) == len(ids), name
        for panel in board["panels"]:
            where = f"{name}: {panel['title']}"
            assert panel["datasource"] == {"type": "prometheus", "uid": prometheus["uid"]}, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == prometheus["uid"], where
                assert target["expr"].strip(), where
            pos = panel["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, where


# --- Kubernetes ------------------------------------------------------------------------------


def kubernetes_validate() -> Path:
    """The validator lives in its own venv (faust pins click<8.4); made when missing."""
    exe = TOOLS_VENV / "bin" / "kubernetes-validate"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True)
        subprocess.run(
            [str(TOOLS_VENV / "bin" / "pip"), "install", "-q", "kubernetes-validate"], check=True
        )
    return exe


def test_kubernetes_manifests_are_valid() -> None:
    files = sorted(str(p) for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    result = run([str(kubernetes_validate()), "--strict", "--quiet", *files])
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validation_can_fail(tmp_path: Path) -> None:
    [deployment] = [d for d in k8s_docs() if d["metadata"]["name"] == "wirewatch-tagger"
                    and d["kind"] == "Deployment"]  # fmt: skip
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    result = run([str(kubernetes_validate()), "--strict", "--quiet", str(tmp_path / "bad.yaml")])
    assert result.returncode != 0
    assert "livenessprobe" in result.stdout + result.stderr


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files
    assert kustomization["namespace"] == "wirewatch"


def test_every_service_is_deployed_with_probes_limits_and_a_service() -> None:
    docs = k8s_docs()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    [settings] = [d for d in docs if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "wirewatch-settings"]  # fmt: skip
    assert settings["data"]["WIREWATCH_KAFKA_BOOTSTRAP"] == "wirewatch-kafka-bootstrap:9092"
    assert settings["data"]["WIREWATCH_HOST"] == "0.0.0.0"
    assert set(deployments) == {f"wirewatch-{name}" for name in SERVICES}
    for name, argv in SERVICES.items():
        spec = deployments[f"wirewatch-{name}"]["spec"]["template"]["spec"]
        [container] = spec["containers"]
        port = default_port(name)
        assert container["command"] == ["python", *argv], name
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env[PORT_SETTING[name]] == str(port), name
        assert {"configMapRef": {"name": "wirewatch-settings"}} in container["envFrom"], name
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        svc = services[f"wirewatch-{name}"]["spec"]
        selector = deployments[f"wirewatch-{name}"]["spec"]["selector"]["matchLabels"]
        assert svc["selector"] == selector, name
        assert svc["ports"][0]["port"] == port and svc["ports"][0]["targetPort"] == "http"
        mounted = {m["mountPath"] for m in container["volumeMounts"]}
        for key in ("WIREWATCH_FEEDS_FILE", "WIREWATCH_WATCHLIST_FILE",
                    "WIREWATCH_SUBSCRIPTIONS_FILE"):  # fmt: skip
            needed = {"ingest": "FEEDS", "tagger": "WATCHLIST", "alerting": "SUBSCRIPTIONS"}
            if needed.get(name, "-") in key:
                assert str(Path(settings["data"][key]).parent) in mounted, (name, key)


def test_configmaps_hold_the_repository_config() -> None:
    docs = {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == "ConfigMap"}
    for name in ("watchlist", "feeds"):
        in_k8s = docs[f"wirewatch-{name}"]["data"][f"{name}.yaml"]
        in_repo = (ROOT / "config" / f"{name}.yaml").read_text(encoding="utf-8")
        assert in_k8s == in_repo, (
            f"deploy/k8s/{name}.yaml is out of date: copy config/{name}.yaml into its data"
        )


def test_the_secret_holds_loadable_subscriptions_and_tokens(tmp_path: Path) -> None:
    [secret] = [d for d in k8s_docs() if d["kind"] == "Secret"]
    data = secret["stringData"]
    (tmp_path / "subscriptions.yaml").write_text(data["subscriptions.yaml"])
    subs = load_file(tmp_path / "subscriptions.yaml")
    assert [s.id for s in subs] == ["musk-and-altman"]
    assert isinstance(json.loads(data["WIREWATCH_API_TOKENS"]), list)


# --- metric catalogue ------------------------------------------------------------------------


def test_metric_catalogue_lists_every_wirewatch_metric() -> None:
    import importlib  # noqa: PLC0415 - the modules register their metrics on import

    from prometheus_client import REGISTRY  # noqa: PLC0415

    for module in ("shared.metrics", "services.ingest.metrics", "services.ingest.app",
                   "services.tagger.metrics", "services.stories.metrics",
                   "services.alerting.metrics", "services.dashboard.metrics"):  # fmt: skip
        importlib.import_module(module)
    catalogue = docs.text()
    exported = set()
    for family in REGISTRY.collect():
        if family.name.startswith("wirewatch_"):
            suffix = "_total" if family.type == "counter" else ""
            exported.add(family.name + suffix)
    assert len(exported) > 20
    missing = sorted(name for name in exported if f"`{name}`" not in catalogue)
    assert not missing, f"the metric catalogue (docs/metrics.md) does not describe: {missing}"
