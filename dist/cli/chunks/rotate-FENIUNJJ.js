#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{b as y,c as w,d as b,e as k}from"./chunk-OMSBKFHV.js";import"./chunk-L6DOBKQW.js";import"./chunk-VMHS34MY.js";import"./chunk-SYOI2I53.js";import"./chunk-KJFMDFE4.js";import"./chunk-E4LV464Y.js";import"./chunk-ZUQJO23N.js";import"./chunk-FLW6G2IA.js";import"./chunk-DOFZPVIQ.js";import{q as p}from"./chunk-ZCTPQ47C.js";import"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import"./chunk-AJ4ZEDYG.js";import{E as d,I as s,L as m,N as h,u,y as g,z as f}from"./chunk-EYTJAAGM.js";import{a as n}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";var A=`Usage: thanos-gitops rotate --config <stack.yaml> [options]

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
${m}

Ctrl-C or SIGTERM stops at the next request, releases the Lease and exits 130 or 143; the next run resumes.

Exit codes: 0 done (or nothing to do), 1 failure (run again: it resumes), 2 usage.`,I={name:"rotate",interruptible:!0,usage:A,async run(C,o){let{values:e,positionals:R}=u(C,{config:{type:"string"},...f,"force-ca-rotation":{type:"boolean"},"force-key-rotation":{type:"boolean"},"renew-leaves":{type:"boolean"},"dry-run":{type:"boolean"},"rollout-timeout":{type:"string"},"propagation-delay":{type:"string"},"lease-duration":{type:"string"}});if(g(R),!e.config)throw new n("--config <stack.yaml> is required");let t=await p(e.config);if(!t.tls&&!t.objectStorage)throw new Error(`${e.config}: has neither a tls: nor an objectStorage: section, so there is nothing to rotate`);let a=b(t);if(e.namespace&&e.namespace!==a.namespace)throw new n(`--namespace ${e.namespace} does not match the config, which renders into namespace ${a.namespace}`);let i={...e["dry-run"]?{}:{log:r=>o.stderr(`${r}
`)},...e["force-ca-rotation"]?{forceCaRotation:!0}:{},...e["force-key-rotation"]?{forceKeyRotation:!0}:{},...e["renew-leaves"]?{forceLeafRenewal:!0}:{},...e["dry-run"]?{dryRun:!0}:{},rolloutTimeoutMs:e["rollout-timeout"]?s(e["rollout-timeout"],"--rollout-timeout"):6e5,...e["propagation-delay"]?{propagationDelayMs:s(e["propagation-delay"],"--propagation-delay")}:{},...t.objectStorage?.mode==="accessKeys"?{accessKeys:y({region:t.objectStorage.region})}:{}},c=h(e);c&&(i.lease=c);let l=await d(e,o.signal);try{let r=await w(l,a,i);return o.stdout(k(r)),0}finally{l.close()}}};export{I as rotateCommand};
