"""The Helm chart, rendered by Helm's engine and checked like a cluster would.

Nothing here can be tried on a real cluster, so every values file is
rendered with libhelm and every manifest is validated against the
Kubernetes OpenAPI schemas (strict: unknown fields fail) of each supported
version; then the properties the issue promises are asserted.
"""

from __future__ import annotations

import copy
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from chart_rendering import (
    CHART,
    GRPC_SERVICES,
    MODULES,
    REPO,
    VALUES_FILES,
    deployment_of,
    env_of,
    load_values,
    named,
    of_kind,
    pod_specs,
    render,
    render_notes,
)

SUPPORTED_KUBERNETES = ("1.29", "1.31")
# CRDs whose schemas kubernetes-validate does not ship; shape checked below.
CUSTOM_KINDS = {"ServiceMonitor"}


@pytest.fixture(scope="module", params=sorted(VALUES_FILES))
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Render the chart once per values file."""
    return render(load_values(request.param))


@pytest.fixture(scope="module")
def defaults() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render(load_values("production"))


def _selector(manifest: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = manifest["spec"]["selector"]["matchLabels"]
    return labels


class TestEveryManifestIsValid:
    @pytest.mark.parametrize("version", SUPPORTED_KUBERNETES)
    def test_manifests_match_the_kubernetes_schemas(
            self, rendered: list[dict[str, Any]], version: str) -> None:
        """Every manifest validates strictly against each supported version."""
        for manifest in rendered:
            if manifest["kind"] in CUSTOM_KINDS:
                continue
            kubernetes_validate.validate(manifest, version, strict=True)

    def test_resource_names_are_unique_per_kind(self, rendered: list[dict[str, Any]]) -> None:
        """No two manifests of one kind share a name (Helm would refuse)."""
        keys = [(m["kind"], m["metadata"]["name"]) for m in rendered]
        assert len(keys) == len(set(keys))

    def test_names_fit_a_dns_label(self, rendered: list[dict[str, Any]]) -> None:
        """Every name is a valid DNS-1123 label, so Services resolve."""
        for manifest in rendered:
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?",
                                manifest["metadata"]["name"])

    def test_service_monitors_scrape_the_metrics_port(
            self, production: list[dict[str, Any]]) -> None:
        """A ServiceMonitor per service selects its Service and scrapes metrics."""
        monitors = of_kind(production, "ServiceMonitor")
        services = {m["metadata"]["name"]: m for m in of_kind(production, "Service")}
        assert len(monitors) == 5
        for monitor in monitors:
            assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
            assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
            service = services[monitor["metadata"]["name"]]
            assert service["spec"]["selector"] == _selector(monitor)


class TestProbes:
    @pytest.mark.parametrize("key", sorted(GRPC_SERVICES))
    def test_grpc_services_are_probed_on_their_health_service(
            self, defaults: list[dict[str, Any]], key: str) -> None:
        """Readiness asks grpc.health.v1 for the service's own name on its port."""
        app, port, grpc_name = GRPC_SERVICES[key]
        container = deployment_of(defaults, app)["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}

        assert container["readinessProbe"]["grpc"] == {"port": port, "service": grpc_name}
        assert container["livenessProbe"]["grpc"]["port"] == port
        assert container["startupProbe"]["grpc"]["port"] == port
        assert ports["grpc"] == port
        assert env_of(container)["REGALSYNC_GRPC_PORT"] == str(port)

    def test_ingress_is_probed_over_http(self, defaults: list[dict[str, Any]]) -> None:
        """The ingress-gateway, which serves HTTP, is probed on /healthz."""
        container = deployment_of(defaults, "ingress-gateway")[
            "spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}

    def test_each_deployment_runs_its_own_module(self, defaults: list[dict[str, Any]]) -> None:
        """One image, a different `python -m <module>` per Deployment, as args."""
        for app, module in MODULES.items():
            container = deployment_of(defaults, app)["spec"]["template"]["spec"]["containers"][0]
            assert container["args"] == ["python", "-m", module]

    def test_pods_outlive_the_services_drain(self, rendered: list[dict[str, Any]]) -> None:
        """The pod's grace period is longer than the services' own drain."""
        config = named(rendered, "ConfigMap", "rs-regal-sync-config")["data"]
        drain = float(config["REGALSYNC_SHUTDOWN_GRACE_SECONDS"])
        for deployment in of_kind(rendered, "Deployment"):
            if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "sandbox":
                continue
            grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            assert grace > drain


    def test_no_container_sets_a_command(self, rendered: list[dict[str, Any]]) -> None:
        """Commands go in args, so Tilt's restart wrapper can sit in front."""
        for name, spec in pod_specs(rendered):
            assert all("command" not in c for c in spec["containers"]), name


class TestSecurity:
    def test_every_pod_runs_unprivileged(self, rendered: list[dict[str, Any]]) -> None:
        """Non-root, seccomp RuntimeDefault, no service account token."""
        for name, spec in pod_specs(rendered):
            context = spec["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["runAsUser"] != 0, name
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert spec["automountServiceAccountToken"] is False, name

    def test_every_container_is_locked_down(self, rendered: list[dict[str, Any]]) -> None:
        """All capabilities dropped, no privilege escalation."""
        for name, spec in pod_specs(rendered):
            for container in spec["containers"]:
                context = container["securityContext"]
                assert context["capabilities"] == {"drop": ["ALL"]}, name
                assert context["allowPrivilegeEscalation"] is False, name

    @pytest.mark.parametrize("values_file", ["default", "production", "staging", "minimal"])
    def test_root_filesystems_are_read_only(self, values_file: str) -> None:
        """Outside the Tilt loop every container's root filesystem is read-only."""
        for name, spec in pod_specs(render(load_values(values_file))):
            for container in spec["containers"]:
                assert container["securityContext"]["readOnlyRootFilesystem"] is True, name

    def test_writable_paths_are_volumes(self, rendered: list[dict[str, Any]]) -> None:
        """With a read-only root, /tmp is always a volume, and services get state."""
        for name, spec in pod_specs(rendered):
            mounts = {m["mountPath"] for c in spec["containers"]
                      for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, name
        for deployment in of_kind(rendered, "Deployment"):
            spec = deployment["spec"]["template"]["spec"]
            mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
            assert "/var/lib/regal-sync" in mounts

    def test_database_dsn_comes_from_a_secret(self, production: list[dict[str, Any]]) -> None:
        """REGALSYNC_STORAGE_URL is a Secret reference, never a literal."""
        for name, spec in pod_specs(production):
            env = env_of(spec["containers"][0])
            if "REGALSYNC_STORAGE_URL" not in env:
                continue
            assert env["REGALSYNC_STORAGE_URL"] == {
                "secretKeyRef": {"name": "regal-sync-db", "key": "url"}}, name

    def test_tenant_secrets_are_mounted_by_reference(
            self, production: list[dict[str, Any]]) -> None:
        """The existing Secret is mounted read-only where ${NAME} lookups read it."""
        config = named(production, "ConfigMap", "rs-regal-sync-config")["data"]
        spec = deployment_of(production, "matcher-service")["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["tenant-secrets"]["secret"] == {
            "secretName": "regal-sync-tenant-secrets"}
        assert config["REGALSYNC_SECRETS_DIR"] == "/var/run/secrets/regal-sync"
        assert config["REGALSYNC_SALESFORCE_CA_BUNDLE"].endswith("/bundle.pem")
        assert not of_kind(production, "Secret")


class TestScaling:
    def test_matcher_and_publisher_autoscale_by_default(
            self, defaults: list[dict[str, Any]]) -> None:
        """Default values give exactly matcher and publisher an HPA."""
        targets = {h["spec"]["scaleTargetRef"]["name"] for h in
                   of_kind(defaults, "HorizontalPodAutoscaler")}
        assert targets == {"rs-regal-sync-matcher", "rs-regal-sync-publisher"}

    def test_hpa_targets_an_existing_deployment(self, rendered: list[dict[str, Any]]) -> None:
        """Each HPA points at a Deployment of the release, on CPU."""
        deployments = {d["metadata"]["name"] for d in of_kind(rendered, "Deployment")}
        for hpa in of_kind(rendered, "HorizontalPodAutoscaler"):
            target = hpa["spec"]["scaleTargetRef"]
            assert target["kind"] == "Deployment"
            assert target["name"] in deployments
            assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"

    def test_autoscaled_deployments_leave_replicas_to_the_hpa(
            self, rendered: list[dict[str, Any]]) -> None:
        """A Deployment under an HPA sets no replicas, so upgrades don't reset it."""
        scaled = {h["spec"]["scaleTargetRef"]["name"] for h in
                  of_kind(rendered, "HorizontalPodAutoscaler")}
        for deployment in of_kind(rendered, "Deployment"):
            has_replicas = "replicas" in deployment["spec"]
            assert has_replicas is (deployment["metadata"]["name"] not in scaled)

    def test_production_bounds_reach_the_hpa(self, production: list[dict[str, Any]]) -> None:
        """Per-service autoscaling values land in that service's HPA."""
        hpa = named(production, "HorizontalPodAutoscaler", "rs-regal-sync-matcher")["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
        assert hpa["metrics"][0]["resource"]["target"]["averageUtilization"] == 60

    def test_disruption_budgets_select_their_service(
            self, defaults: list[dict[str, Any]]) -> None:
        """Every service has a PDB whose selector matches its pods."""
        budgets = of_kind(defaults, "PodDisruptionBudget")
        assert len(budgets) == 5
        for budget in budgets:
            deployment = named(defaults, "Deployment", budget["metadata"]["name"])
            assert _selector(budget) == _selector(deployment)

    def test_services_reach_each_other_through_headless_services(
            self, defaults: list[dict[str, Any]]) -> None:
        """Clients resolve every replica (client-side balancing), not one VIP."""
        config = named(defaults, "ConfigMap", "rs-regal-sync-config")["data"]
        for key, (_, port, _) in GRPC_SERVICES.items():
            address = config[f"REGALSYNC_{key.upper()}_ADDRESS"]
            assert address == f"dns:///rs-regal-sync-{key}-headless.sync.svc:{port}"
            headless = named(defaults, "Service", f"rs-regal-sync-{key}-headless")
            assert headless["spec"]["clusterIP"] == "None"


class TestLabels:
    def test_selectors_are_name_and_instance_only(
            self, rendered: list[dict[str, Any]]) -> None:
        """Selectors never carry version or chart labels (they are immutable)."""
        for kind in ("Deployment", "PodDisruptionBudget"):
            for manifest in of_kind(rendered, kind):
                assert set(_selector(manifest)) == {
                    "app.kubernetes.io/name", "app.kubernetes.io/instance"}
        for service in of_kind(rendered, "Service"):
            assert set(service["spec"]["selector"]) == {
                "app.kubernetes.io/name", "app.kubernetes.io/instance"}

    def test_pods_carry_their_deployments_selector(
            self, rendered: list[dict[str, Any]]) -> None:
        """Each Deployment's pods match its selector, and no other Deployment's."""
        deployments = of_kind(rendered, "Deployment")
        for deployment in deployments:
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            matching = [d for d in deployments
                        if _selector(d).items() <= labels.items()]
            assert matching == [deployment]

    def test_every_resource_has_the_recommended_labels(
            self, rendered: list[dict[str, Any]]) -> None:
        """app.kubernetes.io/* labels on every resource, helm.sh/chart too."""
        wanted = {"app.kubernetes.io/name", "app.kubernetes.io/instance",
                  "app.kubernetes.io/component", "app.kubernetes.io/part-of",
                  "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
                  "helm.sh/chart"}
        for manifest in rendered:
            assert wanted <= set(manifest["metadata"]["labels"]), manifest["metadata"]["name"]

    def test_every_service_selects_some_pods(self, rendered: list[dict[str, Any]]) -> None:
        """No Service selects nothing: each matches one Deployment's pods."""
        pods = [d["spec"]["template"]["metadata"]["labels"]
                for d in of_kind(rendered, "Deployment")]
        for service in of_kind(rendered, "Service"):
            selector = service["spec"]["selector"]
            assert sum(selector.items() <= labels.items() for labels in pods) == 1


class TestHooks:
    def test_migration_runs_before_install_and_upgrade(
            self, defaults: list[dict[str, Any]]) -> None:
        """The migration Job is a pre-install, pre-upgrade hook before the rest."""
        job = named(defaults, "Job", "rs-regal-sync-migrate")
        annotations = job["metadata"]["annotations"]
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) < 0
        assert container["args"] == ["python", "-m", "regalsync.storage", "migrate"]
        # The ConfigMap does not exist yet at pre-install: no envFrom.
        assert "envFrom" not in container

    def test_sqlite_needs_no_migration_job(self) -> None:
        """With SQLite the services migrate their file; no hook would find the volume."""
        manifests = render(load_values("tilt-dev"))
        assert not of_kind(manifests, "Job")
        claim = named(manifests, "PersistentVolumeClaim", "rs-regal-sync-state")
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]

    def test_tenant_documents_are_applied_after_install(
            self, production: list[dict[str, Any]]) -> None:
        """A post-install/upgrade Job applies the tenants ConfigMap via the CLI."""
        job = named(production, "Job", "rs-regal-sync-apply-tenants")
        command = job["spec"]["template"]["spec"]["containers"][0]["args"]
        documents = named(production, "ConfigMap", "rs-regal-sync-tenants")["data"]
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
        assert command[:3] == ["regal-sync", "config", "apply"]
        assert [d["tenant_id"] for d in yaml.safe_load_all(documents["tenants.yaml"])] == [
            "acme"]

    def test_chart_test_checks_every_service(self, defaults: list[dict[str, Any]]) -> None:
        """`helm test` probes each gRPC service's health and the ingress."""
        pod = named(defaults, "Pod", "rs-regal-sync-test-health")
        args = pod["spec"]["containers"][0]["args"][3:]
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        for _, port, grpc_name in GRPC_SERVICES.values():
            assert any(a.startswith("grpc|") and a.endswith(f":{port}|{grpc_name}")
                       for a in args)
        assert "http|rs-regal-sync-ingress.sync.svc:8080|/healthz" in args

    def test_chart_test_script_compiles(self, defaults: list[dict[str, Any]]) -> None:
        """The inline health-check script is valid Python."""
        pod = named(defaults, "Pod", "rs-regal-sync-test-health")
        script = pod["spec"]["containers"][0]["args"][2]
        compile(script, "test-health", "exec")

    def test_cron_jobs_run_retention_and_summary(self, defaults: list[dict[str, Any]]) -> None:
        """Two CronJobs, never overlapping, run the CLI's maintenance commands."""
        jobs = {c["metadata"]["name"]: c for c in of_kind(defaults, "CronJob")}
        assert set(jobs) == {"rs-regal-sync-retention", "rs-regal-sync-daily-summary"}
        for job in jobs.values():
            assert job["spec"]["concurrencyPolicy"] == "Forbid"
        commands = {name: job["spec"]["jobTemplate"]["spec"]["template"]["spec"][
            "containers"][0]["args"] for name, job in jobs.items()}
        assert commands["rs-regal-sync-retention"] == ["regal-sync", "maintenance", "purge"]


class TestConfigChecksum:
    def _checksums(self, values: dict[str, Any]) -> set[str]:
        return {d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                for d in of_kind(render(values), "Deployment")}

    def test_every_pod_carries_the_config_checksum(self) -> None:
        """All service pods share one checksum of the ConfigMap."""
        assert len(self._checksums({})) == 1

    def test_a_config_change_rolls_the_pods(self) -> None:
        """Changing a setting changes the checksum, so pods restart."""
        before = self._checksums({})
        after = self._checksums({"config": {"logLevel": "debug"}})
        assert before != after

    def test_a_replica_change_keeps_the_checksum(self) -> None:
        """Scaling is not a configuration change."""
        before = self._checksums({})
        after = self._checksums({"services": {"writer": {"replicas": 5}}})
        assert before == after


class TestNetworkPolicies:
    def _allowed(self, manifests: list[dict[str, Any]], key: str) -> set[str]:
        policy = named(manifests, "NetworkPolicy", f"rs-regal-sync-{key}")
        rule = policy["spec"]["ingress"][0]
        return {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                for peer in rule.get("from", []) if "podSelector" in peer}

    @pytest.mark.parametrize("key", ["matcher", "publisher", "writer"])
    def test_only_the_ingress_calls_the_queue_and_matcher_services(
            self, defaults: list[dict[str, Any]], key: str) -> None:
        """matcher, publisher and writer accept gRPC only from the ingress."""
        assert self._allowed(defaults, key) == {"ingress-gateway", "regal-sync-test"}

    def test_every_service_and_the_cli_may_call_mapping(
            self, defaults: list[dict[str, Any]]) -> None:
        """mapping-service is called by every service and the CLI jobs."""
        assert self._allowed(defaults, "mapping") == {
            "ingress-gateway", "matcher-service", "regal-publisher", "salesforce-writer",
            "regal-sync-cli", "regal-sync-test"}

    def test_other_teams_reach_mapping_through_a_configured_selector(
            self, production: list[dict[str, Any]]) -> None:
        """networkPolicy.mappingFrom peers are added to mapping's policy only."""
        policy = named(production, "NetworkPolicy", "rs-regal-sync-mapping")
        peers = policy["spec"]["ingress"][0]["from"]
        assert {"namespaceSelector": {"matchLabels": {"team": "revenue-ops"}},
                "podSelector": {"matchLabels": {
                    "app.kubernetes.io/name": "revops-console"}}} in peers

    def test_policies_apply_to_their_own_pods(self, rendered: list[dict[str, Any]]) -> None:
        """Each policy selects exactly the pods of its Deployment."""
        for policy in of_kind(rendered, "NetworkPolicy"):
            deployment = named(rendered, "Deployment", policy["metadata"]["name"])
            assert policy["spec"]["podSelector"]["matchLabels"] == _selector(deployment)


class TestSandboxes:
    def test_the_salesforce_sandbox_is_certified_for_its_service(self) -> None:
        """Pods reach the sandbox by its Service name; its certificate names it."""
        manifests = render({"sandboxes": {"enabled": True}})
        sandbox = named(manifests, "Deployment", "rs-regal-sync-salesforce-sandbox")
        args = sandbox["spec"]["template"]["spec"]["containers"][0]["args"]
        hostnames = [value for flag, value in pairwise(args)
                     if flag == "--hostname"]
        named(manifests, "Service", "rs-regal-sync-salesforce-sandbox")

        assert hostnames == ["rs-regal-sync-salesforce-sandbox.sync.svc",
                             "rs-regal-sync-salesforce-sandbox.sync.svc.cluster.local",
                             "rs-regal-sync-salesforce-sandbox"]


class TestValues:
    @pytest.mark.parametrize("values", [
        {"replicas": 3},
        {"services": {"matcher": {"replica": 3}}},
        {"services": {"scheduler": {"enabled": True}}},
        {"image": {"registry": "example.com"}},
        {"storage": {"postgresql": {"existingSecret": "x", "sslmode": "require"}}},
        {"networkPolicy": {"mappingFrom": [{"podSelecter": {}}]}},
    ])
    def test_unknown_keys_are_rejected(self, values: dict[str, Any]) -> None:
        """A misspelt or unknown key fails the render, at any depth."""
        with pytest.raises(helm.HelmValuesError, match="additional properties"):
            render(values)

    def test_wrong_types_are_rejected(self) -> None:
        """A string where a number belongs fails the render."""
        with pytest.raises(helm.HelmValuesError):
            render({"services": {"matcher": {"replicas": "three"}}})

    def test_every_schema_object_forbids_unknown_keys(self) -> None:
        """additionalProperties is false wherever properties are listed."""
        schema = yaml.safe_load((CHART / "values.schema.json").read_text())
        for path, node in _schema_objects(schema, "$"):
            assert node.get("additionalProperties") is False, path

    def test_every_value_is_documented_in_values_yaml(self) -> None:
        """Each key line in values.yaml follows a comment (or a documented parent)."""
        lines = (CHART / "values.yaml").read_text().splitlines()
        for number, line in enumerate(lines):
            if not re.match(r"\s*[A-Za-z][\w-]*:\s*\S", line):
                continue
            # requests/limits belong to the documented `resources:` above them.
            if line.strip().startswith(("requests:", "limits:")):
                continue
            above = lines[number - 1].strip()
            assert above.startswith("#"), f"values.yaml line {number + 1} is undocumented"

    def test_every_value_is_in_the_reference(self) -> None:
        """docs/deployment.md names every value path."""
        reference = (REPO / "docs" / "deployment.md").read_text()
        values = yaml.safe_load((CHART / "values.yaml").read_text())
        for path in _leaf_paths(values):
            shown = re.sub(r"^services\.\w+\.", "services.<name>.", path)
            assert f"`{shown}`" in reference, f"{shown} is missing from docs/deployment.md"

    def test_notes_tell_how_to_test_and_scale(self) -> None:
        """NOTES.txt names `helm test` and how to scale matcher."""
        notes = render_notes()
        assert "helm test rs" in notes
        assert "services.matcher.replicas" in notes


def _schema_objects(node: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "properties" in node and path != "$.properties.global":
            found.append((path, node))
        for key, child in node.items():
            found.extend(_schema_objects(child, f"{path}.{key}"))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(_schema_objects(child, f"{path}[{index}]"))

    return found


def _leaf_paths(values: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in ("requests", "limits"):
            paths.extend(_leaf_paths(value, f"{path}."))
        elif not path.endswith((".requests", ".limits")):
            paths.append(path)

    return paths


def test_values_files_do_not_mutate(tmp_path: Path) -> None:
    """Rendering leaves the loaded values untouched (fixtures are shared)."""
    values = load_values("production")
    snapshot = copy.deepcopy(values)
    render(values)
    assert values == snapshot
