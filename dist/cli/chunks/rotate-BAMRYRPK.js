#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as h,b as y,c as w,d as b}from"./chunk-YG4ZAT6D.js";import"./chunk-4ZAHF3HS.js";import"./chunk-3J76WTAR.js";import"./chunk-ZUQJO23N.js";import{i as f,l as s,o as d,p as m}from"./chunk-YXUMPDMT.js";import"./chunk-5IGX32WP.js";import"./chunk-WKJYOCR3.js";import"./chunk-GHJHKOKD.js";import"./chunk-FVGG4ZB7.js";import"./chunk-SZLLNCM4.js";import"./chunk-LMUPJLWB.js";import"./chunk-5X6OWJJG.js";import"./chunk-42DWM73B.js";import"./chunk-6DBELEGV.js";import"./chunk-ZMPCRBOY.js";import{a as o,b as u}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import{w as g}from"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";var C=`Usage: thanos-gitops rotate --config <stack.yaml> [options]

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
${d}

Ctrl-C or SIGTERM stops at the next request, releases the Lease and exits 130 or 143; the next run resumes.

Exit codes: 0 done (or nothing to do), 1 failure (run again: it resumes), 2 usage.`,j={name:"rotate",interruptible:!0,usage:C,async run(k,a){let{values:e,positionals:i}=u(k,{config:{type:"string"},kubeconfig:{type:"string"},context:{type:"string"},namespace:{type:"string",short:"n"},"force-ca-rotation":{type:"boolean"},"force-key-rotation":{type:"boolean"},"renew-leaves":{type:"boolean"},"dry-run":{type:"boolean"},"rollout-timeout":{type:"string"},"propagation-delay":{type:"string"},"lease-duration":{type:"string"}});if(i.length>0)throw new o(`unexpected argument '${i[0]}'`);if(!e.config)throw new o("--config <stack.yaml> is required");let t=await g(e.config);if(!t.tls&&!t.objectStorage)throw new Error(`${e.config}: has neither a tls: nor an objectStorage: section, so there is nothing to rotate`);let r=w(t);if(e.namespace&&e.namespace!==r.namespace)throw new o(`--namespace ${e.namespace} does not match the config, which renders into namespace ${r.namespace}`);let c={...e["dry-run"]?{}:{log:n=>a.stderr(`${n}
`)},...e["force-ca-rotation"]?{forceCaRotation:!0}:{},...e["force-key-rotation"]?{forceKeyRotation:!0}:{},...e["renew-leaves"]?{forceLeafRenewal:!0}:{},...e["dry-run"]?{dryRun:!0}:{},rolloutTimeoutMs:e["rollout-timeout"]?s(e["rollout-timeout"],"--rollout-timeout"):6e5,...e["propagation-delay"]?{propagationDelayMs:s(e["propagation-delay"],"--propagation-delay")}:{},...t.objectStorage?.mode==="accessKeys"?{accessKeys:h({region:t.objectStorage.region})}:{}},l=m(e);l&&(c.lease=l);let p=f(e,a.signal);try{let n=await y(p,r,c);return a.stdout(b(n)),0}finally{p.close()}}};export{j as rotateCommand};
