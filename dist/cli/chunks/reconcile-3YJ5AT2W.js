#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{c as p,d as m,f,h,i as g,j as y,l as w,o as $,q as v,r as b}from"./chunk-YXUMPDMT.js";import"./chunk-5IGX32WP.js";import"./chunk-WKJYOCR3.js";import"./chunk-GHJHKOKD.js";import"./chunk-FVGG4ZB7.js";import"./chunk-SZLLNCM4.js";import"./chunk-LMUPJLWB.js";import"./chunk-5X6OWJJG.js";import"./chunk-42DWM73B.js";import"./chunk-6DBELEGV.js";import{k as u}from"./chunk-ZMPCRBOY.js";import{a as c,b as d}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function F(t,o){if(t.revision===void 0)return`${o}: no deployed release recorded; nothing to compare
`;if(t.drifted.length===0)return`${o}: no drift (${t.checked} objects match release revision ${t.revision})
`;let e=[`${o}: ${t.drifted.length} of ${t.checked} objects drifted from release revision ${t.revision}:`];for(let r of t.drifted)e.push(`  ${r.object}: ${r.change==="missing"?"deleted out of band":`modified${r.managers.length?` (other field managers: ${r.managers.join(", ")})`:""}`}`),r.patch&&e.push(r.patch.replace(/^/gm,"    "));return`${e.join(`
`)}
`}var L={name:"reconcile",interruptible:!0,usage:`Usage: thanos-gitops reconcile [cluster] [options]

Compares the last deployed release with the live cluster (server-side dry-run with force vs live) and lists the
drifted objects and fields. Without --dry-run, re-applies exactly those objects (taking back fields other managers
changed) under the Lease lock; the deployed revision stays the same.

${h}

Options:
  --dry-run                 only report drift; exit code 3 when there is drift
  --wait                    wait for rollouts of re-applied workloads
  --timeout <duration>      rollout wait timeout (default 5m)
  --lock-timeout <duration> how long to wait for another run's Lease (default 60s)
${$}
`,async run(t,o){let{values:e,positionals:r}=d(t,{...f,"dry-run":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},"lock-timeout":{type:"string"},"lease-duration":{type:"string"}});if(u(r),!e.namespace)throw new c("--namespace is required (where the release history lives)");e.timeout!==void 0&&w(e.timeout,"--timeout");let s=y(e),a=e.namespace,i=g(e,o.signal);try{if(e["dry-run"]){let l=await p(i,{environment:s,namespace:a});return o.stdout(F(l,s)),l.drifted.length?3:0}let{force:k,history:D,...j}=v(e,a,o),n=await m(i,j);return o.stdout(F(n.drift,s)),n.apply&&o.stdout(b(n.apply)),0}finally{i.close()}}};export{F as formatDrift,L as reconcileCommand};
