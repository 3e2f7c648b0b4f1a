#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{e as i,f as l,g as c,h as p,m,n as u}from"./chunk-DF2BNL7H.js";import"./chunk-S7R4HRBQ.js";import"./chunk-W7HPH5Q7.js";import"./chunk-OTE5DTPA.js";import"./chunk-3Y5ER6DD.js";import{a as t,b as a}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";var b={name:"rollback",usage:`Usage: thanos-gitops rollback <revision> [cluster] [options]

Re-applies the manifests recorded in <revision> (see 'history') exactly as apply does: dry-run checks first,
only changed objects written, objects not in that revision pruned, and a new revision recorded.

${c}

Options:
  --force-conflicts         take over fields other field managers own
  --recreate                delete and re-create objects whose immutable fields change
  --no-prune                keep objects that are not in that revision
  --wait                    wait for Deployments and StatefulSets to roll out
  --timeout <duration>      rollout wait timeout (default 5m)
  --lock-timeout <duration> how long to wait for another run's Lease (default 60s)
`,async run(d,n){let{values:e,positionals:o}=a(d,{...l,"force-conflicts":{type:"boolean"},recreate:{type:"boolean"},"no-prune":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},"lock-timeout":{type:"string"}});if(o.length!==1)throw new t("give exactly one revision number, e.g. thanos-gitops rollback 3");let r=Number(o[0]);if(!Number.isInteger(r)||r<1)throw new t(`revision '${o[0]}' is not a positive integer`);if(!e.namespace)throw new t("--namespace is required (where the release history lives)");let f=m(e,e.namespace,n),s=p(e);try{return n.stdout(u(await i(s,r,f))),0}finally{s.close()}}};export{b as rollbackCommand};
