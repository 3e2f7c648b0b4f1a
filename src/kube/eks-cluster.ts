// Connecting to an EKS cluster from AWS credentials alone: optional sts:AssumeRole into the cluster-access role,
// eks:DescribeCluster for endpoint and CA, an in-memory kubeconfig, and a token provider that renews EKS tokens.
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeClient, type KubeClientOptions } from './client.js';
import {
  assumeClusterRole,
  cachedCredentials,
  EksTokenProvider,
  systemClock,
  type AwsCredentials,
  type Clock,
} from './eks-token.js';

export interface EksClusterInfo {
  name: string;
  arn?: string | undefined;
  endpoint: string;
  /** Base64 PEM, as DescribeCluster returns it and kubeconfig's certificate-authority-data wants it. */
  caData: string;
  authenticationMode?: string | undefined;
}

export interface EksConnectionOptions {
  clusterName: string;
  region: string;
  /** The cluster-access role to assume first (cross-account ready); the caller's own credentials otherwise. */
  roleArn?: string | undefined;
  sessionName?: string | undefined;
  externalId?: string | undefined;
  /** Base credentials; the SDK's default provider chain (env, web identity, container, instance) when omitted. */
  credentials?: (() => Promise<AwsCredentials>) | undefined;
  clock?: Clock | undefined;
  kubeClientOptions?: Omit<KubeClientOptions, 'tokenProvider'> | undefined;
}

export interface EksConnection {
  cluster: EksClusterInfo;
  kubeConfig: KubeConfig;
  tokens: EksTokenProvider;
  client: KubeClient;
}

/**
 * The SDK's default chain (env, shared config, web identity, container, instance) as the EKS client resolves it;
 * borrowed from a client so the bundle needs no separate credential-providers package.
 */
export function defaultCredentials(region: string): () => Promise<AwsCredentials> {
  const client = new EKSClient({ region });
  return async () => {
    const identity = await client.config.credentials();
    return {
      accessKeyId: identity.accessKeyId,
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken,
      expiration: identity.expiration,
    };
  };
}

/** The credentials that sign tokens and call EKS: the assumed cluster-access role or the caller's own. */
export function eksCredentials(
  options: Pick<EksConnectionOptions, 'region' | 'roleArn' | 'sessionName' | 'externalId' | 'credentials' | 'clock'>,
): () => Promise<AwsCredentials> {
  const base = options.credentials ?? defaultCredentials(options.region);
  const clock = options.clock ?? systemClock;
  if (!options.roleArn) return cachedCredentials(base, clock);
  const roleArn = options.roleArn;
  return cachedCredentials(
    () =>
      assumeClusterRole({
        roleArn,
        sessionName: options.sessionName,
        externalId: options.externalId,
        region: options.region,
        credentials: base,
      }),
    clock,
  );
}

/** eks:DescribeCluster (AWS_ENDPOINT_URL_EKS overrides the endpoint in tests). */
export async function describeEksCluster(options: {
  clusterName: string;
  region: string;
  credentials: () => Promise<AwsCredentials>;
}): Promise<EksClusterInfo> {
  const client = new EKSClient({ region: options.region, credentials: options.credentials });
  try {
    const response = await client.send(new DescribeClusterCommand({ name: options.clusterName }));
    const cluster = response.cluster;
    if (!cluster) throw new Error('the response carried no cluster');
    if (cluster.status && cluster.status !== 'ACTIVE') {
      throw new Error(
        `cluster status is ${cluster.status}; endpoint and CA are only final once it is ACTIVE: retry later`,
      );
    }
    if (!cluster.endpoint || !cluster.certificateAuthority?.data) {
      throw new Error('the cluster has no endpoint or certificate authority yet: retry once it is ACTIVE');
    }
    return {
      name: cluster.name ?? options.clusterName,
      arn: cluster.arn,
      endpoint: cluster.endpoint,
      caData: cluster.certificateAuthority.data,
      authenticationMode: cluster.accessConfig?.authenticationMode,
    };
  } catch (error) {
    throw new Error(
      `eks:DescribeCluster ${options.clusterName} in ${options.region} failed: ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}

/** An in-memory kubeconfig for the cluster; the user has no token because the token provider supplies it. */
export function eksKubeConfig(cluster: EksClusterInfo): KubeConfig {
  const kc = new KubeConfig();
  const name = cluster.arn ?? cluster.name;
  kc.loadFromOptions({
    clusters: [{ name, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

/** Everything needed to talk to one EKS cluster with renewing tokens. */
export async function connectEks(options: EksConnectionOptions): Promise<EksConnection> {
  const credentials = eksCredentials(options);
  const cluster = await describeEksCluster({ clusterName: options.clusterName, region: options.region, credentials });
  const kubeConfig = eksKubeConfig(cluster);
  const tokens = new EksTokenProvider({
    clusterName: options.clusterName,
    region: options.region,
    credentials,
    clock: options.clock ?? systemClock,
  });
  const client = KubeClient.fromKubeConfig(kubeConfig, {
    ...options.kubeClientOptions,
    tokenProvider: () => tokens.token(),
  });
  return { cluster, kubeConfig, tokens, client };
}
