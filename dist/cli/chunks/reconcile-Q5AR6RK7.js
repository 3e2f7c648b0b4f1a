#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{c as u,d as m,f,g as h,h as g,i as y,k as w,m as $,n as v}from"./chunk-DF2BNL7H.js";import"./chunk-S7R4HRBQ.js";import"./chunk-W7HPH5Q7.js";import"./chunk-OTE5DTPA.js";import{j as p}from"./chunk-3Y5ER6DD.js";import{a as c,b as d}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function b(t,o){if(t.revision===void 0)return`${o}: no deployed release recorded; nothing to compare
`;if(t.drifted.length===0)return`${o}: no drift (${t.checked} objects match release revision ${t.revision})
`;let e=[`${o}: ${t.drifted.length} of ${t.checked} objects drifted from release revision ${t.revision}:`];for(let r of t.drifted)e.push(`  ${r.object}: ${r.change==="missing"?"deleted out of band":`modified${r.managers.length?` (other field managers: ${r.managers.join(", ")})`:""}`}`),r.patch&&e.push(r.patch.replace(/^/gm,"    "));return`${e.join(`
`)}
`}var U={name:"reconcile",usage:`Usage: thanos-gitops reconcile [cluster] [options]

Compares the last deployed release with the live cluster (server-side dry-run with force vs live) and lists the
drifted objects and fields. Without --dry-run, re-applies exactly those objects (taking back fields other managers
changed) under the Lease lock; the deployed revision stays the same.

${h}

Options:
  --dry-run                 only report drift; exit code 3 when there is drift
  --wait                    wait for rollouts of re-applied workloads
  --timeout <duration>      rollout wait timeout (default 5m)
  --lock-timeout <duration> how long to wait for another run's Lease (default 60s)
`,async run(t,o){let{values:e,positionals:r}=d(t,{...f,"dry-run":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},"lock-timeout":{type:"string"}});if(p(r),!e.namespace)throw new c("--namespace is required (where the release history lives)");e.timeout!==void 0&&w(e.timeout,"--timeout");let s=y(e),a=e.namespace,i=g(e);try{if(e["dry-run"]){let l=await u(i,{environment:s,namespace:a});return o.stdout(b(l,s)),l.drifted.length?3:0}let{force:j,history:k,...F}=$(e,a,o),n=await m(i,F);return o.stdout(b(n.drift,s)),n.apply&&o.stdout(v(n.apply)),0}finally{i.close()}}};export{b as formatDrift,U as reconcileCommand};
