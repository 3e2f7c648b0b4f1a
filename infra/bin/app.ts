#!/usr/bin/env node
// The CDK app: `cd infra && npx cdk synth` (cdk.json runs this file with tsx). Config comes from CDK context, see README.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { formatManifestStream } from '../../src/sources/writer.js';
import { configFromContext } from '../lib/config.js';
import { ThanosGitopsStack } from '../lib/thanos-gitops-stack.js';

const app = new App();
const config = configFromContext((key) => app.node.tryGetContext(key));
const stack = new ThanosGitopsStack(app, `ThanosGitops-${config.environment}`, {
  config,
  env: { account: config.account, region: config.region },
  description: `thanos-gitops reconciler for EKS cluster ${config.clusterName} (${config.environment})`,
});
const assembly = app.synth();
// The same Role/RoleBinding `thanos-gitops rbac` prints, shipped beside the template for the cluster admin.
writeFileSync(
  join(assembly.directory, `${stack.stackName}.rbac.yaml`),
  formatManifestStream(stack.rbac, { sourceComments: false }),
);
