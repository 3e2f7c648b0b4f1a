// Stands in for @kubernetes/client-node in the Lambda bundle only (esbuild `alias` for the lambda entry in
// scripts/build.mjs). The reconciler builds its kubeconfig in memory from eks:DescribeCluster and authenticates with
// a token provider, so it needs only the in-memory part of KubeConfig. The real package's index pulls in its generated
// models, undici and proxy agents (over 1 MiB minified), which a cold start would parse for nothing.
import type { RequestOptions } from 'node:https';

export interface Cluster {
  name: string;
  server: string;
  caData?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
}

export interface User {
  name: string;
  token?: string;
  certData?: string;
  keyData?: string;
  exec?: unknown;
  authProvider?: unknown;
  certFile?: string;
}

export interface Context {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

const UNAVAILABLE = 'kubeconfig files are not read inside the reconciler Lambda: it connects from eks:DescribeCluster';

export class KubeConfig {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = '';

  loadFromOptions(options: { clusters: Cluster[]; users: User[]; contexts: Context[]; currentContext: string }): void {
    this.clusters = options.clusters;
    this.users = options.users;
    this.contexts = options.contexts;
    this.currentContext = options.currentContext;
  }

  loadFromFile(_path: string): void {
    throw new Error(UNAVAILABLE);
  }

  loadFromDefault(): void {
    throw new Error(UNAVAILABLE);
  }

  getContexts(): Context[] {
    return this.contexts;
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  getContextObject(name: string): Context | null {
    return this.contexts.find((c) => c.name === name) ?? null;
  }

  getCurrentCluster(): Cluster | null {
    const context = this.getContextObject(this.currentContext);
    return (context && this.clusters.find((c) => c.name === context.cluster)) ?? null;
  }

  getCurrentUser(): User | null {
    const context = this.getContextObject(this.currentContext);
    return (context && this.users.find((u) => u.name === context.user)) ?? null;
  }

  applyHTTPSOptions(options: RequestOptions): void {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (cluster?.caData) options.ca = Buffer.from(cluster.caData, 'base64');
    if (cluster?.skipTLSVerify) options.rejectUnauthorized = false;
    if (cluster?.tlsServerName) options.servername = cluster.tlsServerName;
    if (user?.certData) options.cert = Buffer.from(user.certData, 'base64');
    if (user?.keyData) options.key = Buffer.from(user.keyData, 'base64');
  }

  async applyToHTTPSOptions(options: RequestOptions): Promise<void> {
    this.applyHTTPSOptions(options);
    const user = this.getCurrentUser();
    if (user?.token) options.headers = { ...options.headers, Authorization: `Bearer ${user.token}` };
  }
}
