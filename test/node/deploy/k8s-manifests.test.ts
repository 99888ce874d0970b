/**
 * deploy/k8s (kustomize) checked offline: every resource the kustomization lists is valid
 * against the Kubernetes schemas (`kubernetes-models`) or KEDA's (`@kubernetes-models/keda`),
 * and says what the engine needs — a GPU, probes on /health (liveness that survives a drain),
 * a preStop drain within the grace period, the model folder from a volume, a headless Service
 * and a disruption budget that select the pods, autoscaling on engine_queue_depth. The schemas
 * ship in the packages (from the lockfile); nothing is fetched. They do not flag unknown field
 * names, so the fields the engine relies on are asserted one by one below.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const DIR = join(import.meta.dirname, "..", "..", "..", "deploy", "k8s");

/** The module of kubernetes-models (or its KEDA package) that holds an apiVersion's models. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML; each check names the fields it reads.
  spec: any;
}

async function validate(doc: Manifest): Promise<void> {
  const module: Record<string, new (data: unknown) => { validate(): void }> = await import(modelModule(doc.apiVersion));
  const Model = module[doc.kind];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

function loadKustomization(): { resources: string[]; namespace: string } {
  const [doc] = parseAllDocuments(readFileSync(join(DIR, "kustomization.yaml"), "utf8"));
  const kustomization = doc?.toJS() as { apiVersion: string; kind: string; resources: string[]; namespace: string };
  expect(kustomization).toMatchObject({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization" });
  return kustomization;
}

function loadResources(): Manifest[] {
  return loadKustomization().resources.flatMap((file) => {
    const docs = parseAllDocuments(readFileSync(join(DIR, file), "utf8"));
    for (const doc of docs) expect(doc.errors, file).toEqual([]);
    return docs.map((doc) => doc.toJS() as Manifest);
  });
}

const resources = loadResources();
const one = (kind: string): Manifest => {
  const found = resources.filter((resource) => resource.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
};

describe("deploy/k8s", () => {
  it.each(resources.map((resource) => [`${resource.kind} ${resource.metadata.name}`, resource] as const))(
    "%s is valid against its schema",
    async (_, resource) => {
      await validate(resource);
    },
  );

  it("a broken manifest fails validation (the check is real)", async () => {
    const deployment = structuredClone(one("Deployment"));
    deployment.spec.replicas = "two";
    await expect(validate(deployment)).rejects.toThrow(/replicas must be integer/);
    const service = structuredClone(one("Service"));
    service.spec.ports[0].port = "http";
    await expect(validate(service)).rejects.toThrow();
  });

  it("runs one engine per GPU with probes on /health, a preStop drain and the model from a volume", () => {
    const deployment = one("Deployment");
    const pod = deployment.spec.template.spec;
    const [engine] = pod.containers;
    expect(engine.resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(engine.resources.requests["nvidia.com/gpu"]).toBe("1");
    expect(engine.readinessProbe.httpGet.path).toBe("/health");
    // Liveness must stay green while the engine drains (/health answers 503 then).
    expect(engine.livenessProbe.httpGet.path).toBe("/health?probe=liveness");
    expect(engine.startupProbe.httpGet.path).toBe("/health?probe=liveness");
    expect(engine.lifecycle.preStop.exec.command.join(" ")).toContain("kill -TERM 1");
    const env = new Map<string, string>(engine.env.map((entry: { name: string; value: string }) => [entry.name, entry.value]));
    expect(Number(env.get("ENGINE_DRAIN_TIMEOUT_MS"))).toBeLessThan(pod.terminationGracePeriodSeconds * 1000);
    const mount = engine.volumeMounts.find((m: { mountPath: string }) => m.mountPath === env.get("ENGINE_MODEL_DIR"));
    expect(mount?.readOnly).toBe(true);
    const volume = pod.volumes.find((v: { name: string }) => v.name === mount?.name);
    expect(volume.persistentVolumeClaim.claimName).toBe(one("PersistentVolumeClaim").metadata.name);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it("addresses every replica through a headless Service and limits disruptions, both selecting the engine's pods", () => {
    const podLabels = one("Deployment").spec.template.metadata.labels;
    const service = one("Service");
    expect(service.spec.clusterIP).toBe("None");
    const budget = one("PodDisruptionBudget");
    for (const selector of [service.spec.selector, budget.spec.selector.matchLabels]) {
      for (const [key, value] of Object.entries(selector)) expect(podLabels[key]).toBe(value);
    }
    expect(service.spec.ports[0].targetPort).toBe(one("Deployment").spec.template.spec.containers[0].ports[0].name);
  });

  it("scales the Deployment on engine_queue_depth (KEDA's Prometheus scaler)", () => {
    const scaled = one("ScaledObject");
    expect(scaled.spec.scaleTargetRef.name).toBe(one("Deployment").metadata.name);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe("prometheus");
    expect(trigger.metadata.query).toContain("engine_queue_depth");
    expect(trigger.metadata.query).toContain(`namespace="${loadKustomization().namespace}"`);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount);
  });
});
