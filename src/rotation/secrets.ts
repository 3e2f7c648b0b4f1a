import type { KubeObject } from '../model/objects.js';
import type { KubeClient } from '../kube/client.js';

/** Field manager for everything rotation writes, so a later `thanos-gitops` apply never reverts or conflicts with it. */
export const ROTATION_MANAGER = 'thanos-gitops-rotation';
export const MANAGED_BY_LABEL = { 'app.kubernetes.io/managed-by': 'thanos-gitops' } as const;
export const CERTIFICATE_ANNOTATION = 'thanos-gitops.io/certificate';

export interface SecretContent {
  namespace: string;
  name: string;
  type: string;
  /** Plain (decoded) values; encoded to base64 on write. */
  data: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Only the Secret's own fields, decoded; the raw object is kept out so nothing prints it by accident. */
export interface LiveSecret {
  type: string;
  data: Record<string, string>;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export async function readSecret(client: KubeClient, namespace: string, name: string): Promise<LiveSecret | undefined> {
  const object = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  return object ? liveSecretOf(object) : undefined;
}

/** Decodes a Secret object as the API server returns it. */
export function liveSecretOf(object: KubeObject): LiveSecret {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
    data[key] = Buffer.from(value, 'base64').toString('utf8');
  return {
    type: typeof object.type === 'string' ? object.type : 'Opaque',
    data,
    annotations: object.metadata.annotations ?? {},
    labels: object.metadata.labels ?? {},
  };
}

export function secretObject(content: SecretContent): KubeObject {
  const data: Record<string, string> = {};
  for (const key of Object.keys(content.data).sort())
    data[key] = Buffer.from(content.data[key]!, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: content.name,
      namespace: content.namespace,
      labels: { ...MANAGED_BY_LABEL, ...content.labels },
      ...(content.annotations && Object.keys(content.annotations).length > 0
        ? { annotations: content.annotations }
        : {}),
    },
    type: content.type,
    data,
  };
}

/**
 * Server-side apply of the whole Secret under the rotation field manager: one atomic write of data and state
 * annotations, and keys or annotations left out are removed (the manager owns them alone).
 */
export async function writeSecret(client: KubeClient, content: SecretContent): Promise<void> {
  await client.apply(secretObject(content), { fieldManager: ROTATION_MANAGER, force: true });
}
