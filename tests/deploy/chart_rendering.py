"""Render the Helm chart with Helm's own engine and pick manifests apart.

``helm_python`` binds libhelm (Helm v4's Go SDK) bundled in its wheel: no
helm binary, no cluster, no network. Values pass through the same schema
validation and coalescing as ``helm install``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "regal-sync"
RELEASE = "rs"
NAMESPACE = "sync"

# Every realistic values file the chart is proven with.
VALUES_FILES = {
    "default": None,
    "production": CHART / "ci" / "production-values.yaml",
    "staging": CHART / "ci" / "staging-values.yaml",
    "minimal": CHART / "ci" / "minimal-values.yaml",
    "tilt-dev": REPO / "deploy" / "tilt" / "values-dev.yaml",
}

GRPC_SERVICES = {
    "mapping": ("mapping-service", 50061, "regalsync.mapping.v1.MappingService"),
    "matcher": ("matcher-service", 50062, "regalsync.matcher.v1.MatcherService"),
    "publisher": ("regal-publisher", 50063, "regalsync.publisher.v1.RegalPublisher"),
    "writer": ("salesforce-writer", 50064, "regalsync.writer.v1.SalesforceWriter"),
}
MODULES = {
    "ingress-gateway": "ingress_gateway", "mapping-service": "mapping_service",
    "matcher-service": "matcher_service", "regal-publisher": "regal_publisher",
    "salesforce-writer": "salesforce_writer",
}


def load_values(name: str) -> dict[str, Any]:
    """Return the values of one named values file ({} for the defaults)."""
    path = VALUES_FILES[name]
    if path is None:
        return {}
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())

    return loaded


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Render the chart as an install would and return every manifest."""
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE,
                             is_install=True)
    manifests: list[dict[str, Any]] = []
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            continue
        manifests.extend(d for d in yaml.safe_load_all(text) if d)

    return manifests


def render_notes(values: dict[str, Any] | None = None) -> str:
    """Return the rendered NOTES.txt."""
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values or {}, name=RELEASE, namespace=NAMESPACE,
                             is_install=True)

    return next(text for path, text in files.items() if path.endswith("NOTES.txt"))


def of_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Return the manifests of one kind."""
    return [m for m in manifests if m["kind"] == kind]


def named(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """Return the one manifest of ``kind`` called ``name``."""
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"

    return found[0]


def deployment_of(manifests: list[dict[str, Any]], app: str) -> dict[str, Any]:
    """Return the Deployment whose pods are labelled app.kubernetes.io/name=app."""
    found = [d for d in of_kind(manifests, "Deployment")
             if d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == app]
    assert len(found) == 1, f"expected one Deployment for {app}"

    return found[0]


def pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (resource name, pod spec) for every pod the chart can start."""
    for m in manifests:
        kind = m["kind"]
        if kind == "Pod":
            yield m["metadata"]["name"], m["spec"]
        elif kind in ("Deployment", "Job"):
            yield m["metadata"]["name"], m["spec"]["template"]["spec"]
        elif kind == "CronJob":
            yield m["metadata"]["name"], m["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """Return a container's env entries by name (value or valueFrom)."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}
