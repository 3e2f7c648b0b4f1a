#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{e as i,f as l,h as c,i as p,o as m,q as u,r as d}from"./chunk-YXUMPDMT.js";import"./chunk-5IGX32WP.js";import"./chunk-WKJYOCR3.js";import"./chunk-GHJHKOKD.js";import"./chunk-FVGG4ZB7.js";import"./chunk-SZLLNCM4.js";import"./chunk-LMUPJLWB.js";import"./chunk-5X6OWJJG.js";import"./chunk-42DWM73B.js";import"./chunk-6DBELEGV.js";import"./chunk-ZMPCRBOY.js";import{a as t,b as a}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";var v={name:"rollback",interruptible:!0,usage:`Usage: thanos-gitops rollback <revision> [cluster] [options]

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
${m}
`,async run(g,o){let{values:e,positionals:r}=a(g,{...l,"force-conflicts":{type:"boolean"},recreate:{type:"boolean"},"no-prune":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},"lock-timeout":{type:"string"},"lease-duration":{type:"string"}});if(r.length!==1)throw new t("give exactly one revision number, e.g. thanos-gitops rollback 3");let n=Number(r[0]);if(!Number.isInteger(n)||n<1)throw new t(`revision '${r[0]}' is not a positive integer`);if(!e.namespace)throw new t("--namespace is required (where the release history lives)");let f=u(e,e.namespace,o),s=p(e,o.signal);try{return o.stdout(d(await i(s,n,f))),0}finally{s.close()}}};export{v as rollbackCommand};
