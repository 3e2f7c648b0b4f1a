#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as f,b as g,c as d,d as m}from"./chunk-67S7DSMM.js";import"./chunk-4ZAHF3HS.js";import"./chunk-3J76WTAR.js";import"./chunk-ZUQJO23N.js";import{h as u,k as n}from"./chunk-DF2BNL7H.js";import"./chunk-S7R4HRBQ.js";import"./chunk-W7HPH5Q7.js";import"./chunk-OTE5DTPA.js";import"./chunk-3Y5ER6DD.js";import{a as o,b as p}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import{p as l}from"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";var w=`Usage: thanos-gitops rotate --config <stack.yaml> [options]

Issues and renews the mTLS certificates of the stack's tls: section (a CA, the router and gRPC server
certificates, one client certificate per tenant) and keeps the objstore Secret equal to objectStorage:,
rotating the IAM user's access key in accessKeys mode. Runs under the namespace Lease that apply uses.
Every step is persisted on the cluster (annotations on the CA and objstore Secrets): a run that is
interrupted resumes where it stopped. Leaf renewals need no restart (Thanos reloads certificate files);
a CA rotation restarts the pods that read the CA bundle, twice, via a pod-template checksum annotation
owned by the field manager thanos-gitops-rotation.

Options:
  --config <file>             stack config (required)
  --kubeconfig <file>         kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --context <name>            kubeconfig context
  --namespace, -n <ns>        the stack's namespace (checked against the config; default: from the config)
  --force-ca-rotation         rotate the CA now, even if it is not due
  --force-key-rotation        rotate the objstore access key now (accessKeys mode)
  --renew-leaves              re-issue every leaf certificate now, with fresh keys
  --dry-run                   print what would happen; write nothing (to the cluster or to IAM)
  --rollout-timeout <d>       how long to wait for restarted workloads (default 10m)
  --propagation-delay <d>     how long kubelet may take to sync re-issued certificates into pods
                              before the old CA is dropped (default 2m)

Exit codes: 0 done (or nothing to do), 1 failure (run again: it resumes), 2 usage.`,v={name:"rotate",usage:w,async run(h,s){let{values:e,positionals:i}=p(h,{config:{type:"string"},kubeconfig:{type:"string"},context:{type:"string"},namespace:{type:"string",short:"n"},"force-ca-rotation":{type:"boolean"},"force-key-rotation":{type:"boolean"},"renew-leaves":{type:"boolean"},"dry-run":{type:"boolean"},"rollout-timeout":{type:"string"},"propagation-delay":{type:"string"}});if(i.length>0)throw new o(`unexpected argument '${i[0]}'`);if(!e.config)throw new o("--config <stack.yaml> is required");let t=await l(e.config);if(!t.tls&&!t.objectStorage)throw new Error(`${e.config}: has neither a tls: nor an objectStorage: section, so there is nothing to rotate`);let a=d(t);if(e.namespace&&e.namespace!==a.namespace)throw new o(`--namespace ${e.namespace} does not match the config, which renders into namespace ${a.namespace}`);let y={log:r=>s.stderr(`${e["dry-run"]?"(dry run) ":""}${r}
`),...e["force-ca-rotation"]?{forceCaRotation:!0}:{},...e["force-key-rotation"]?{forceKeyRotation:!0}:{},...e["renew-leaves"]?{forceLeafRenewal:!0}:{},...e["dry-run"]?{dryRun:!0}:{},rolloutTimeoutMs:e["rollout-timeout"]?n(e["rollout-timeout"],"--rollout-timeout"):6e5,...e["propagation-delay"]?{propagationDelayMs:n(e["propagation-delay"],"--propagation-delay")}:{},...t.objectStorage?.mode==="accessKeys"?{accessKeys:f({region:t.objectStorage.region})}:{}},c=u(e);try{let r=await g(c,a,y);return s.stdout(m(r)),0}finally{c.close()}}};export{v as rotateCommand};
