#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as f}from"./chunk-GVQHAWIS.js";import"./chunk-2C3NSNWU.js";import"./chunk-VS4GWFTA.js";import{i as d}from"./chunk-JUI22LME.js";import"./chunk-VMHS34MY.js";import"./chunk-X6A6SXPK.js";import"./chunk-SYOI2I53.js";import"./chunk-KMVZHH77.js";import"./chunk-KJFMDFE4.js";import"./chunk-NTGMYMIN.js";import"./chunk-DOFZPVIQ.js";import"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import{A as i,B as l,D as c,E as p,G as m,M as u,O as g,u as n}from"./chunk-EYTJAAGM.js";import{a as s}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";var k={name:"rollback",interruptible:!0,usage:`Usage: thanos-gitops rollback <revision> [cluster] [options]

Re-applies the manifests recorded in <revision> (see 'history') exactly as apply does: dry-run checks first,
only changed objects written, objects not in that revision pruned, and a new revision recorded.

${c}

Options:
  --force-conflicts         take over fields other field managers own
  --recreate                delete and re-create objects whose immutable fields change
  --no-prune                keep objects that are not in that revision
  --wait                    wait for Deployments and StatefulSets to roll out
  --timeout <duration>      rollout wait timeout (default 5m)
${u}
`,async run(y,e){let{values:t,positionals:o}=n(y,{...i,"force-conflicts":{type:"boolean"},recreate:{type:"boolean"},"no-prune":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},...l});if(o.length!==1)throw new s("give exactly one revision number, e.g. thanos-gitops rollback 3");let r=Number(o[0]);if(!Number.isInteger(r)||r<1)throw new s(`revision '${o[0]}' is not a positive integer`);let b=g(t,m(t),e),a=await p(t,e.signal);try{return e.stdout(f(await d(a,r,b))),0}finally{a.close()}}};export{k as rollbackCommand};
