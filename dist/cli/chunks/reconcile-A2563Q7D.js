#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as j}from"./chunk-GVQHAWIS.js";import"./chunk-2C3NSNWU.js";import"./chunk-VS4GWFTA.js";import{g as w,h as b}from"./chunk-JUI22LME.js";import"./chunk-VMHS34MY.js";import"./chunk-X6A6SXPK.js";import"./chunk-SYOI2I53.js";import"./chunk-KMVZHH77.js";import"./chunk-KJFMDFE4.js";import"./chunk-NTGMYMIN.js";import"./chunk-DOFZPVIQ.js";import"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import{A as u,B as m,D as f,E as h,F as g,G as y,I as $,M as F,O as v,t as c,u as d,y as p}from"./chunk-EYTJAAGM.js";import"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";function k(t,o){if(t.revision===void 0)return`${o}: no deployed release recorded; nothing to compare
`;if(t.drifted.length===0)return`${o}: no drift (${t.checked} objects match release revision ${t.revision})
`;let e=[`${o}: ${t.drifted.length} of ${t.checked} objects drifted from release revision ${t.revision}:`];for(let r of t.drifted)e.push(`  ${r.object}: ${r.change==="missing"?"deleted out of band":`modified${r.managers.length?` (other field managers: ${r.managers.join(", ")})`:""}`}`),r.patch&&e.push(r.patch.replace(/^/gm,"    "));return`${e.join(`
`)}
`}var A={name:"reconcile",interruptible:!0,usage:`Usage: thanos-gitops reconcile [cluster] [options]

Compares the last deployed release with the live cluster (server-side dry-run with force vs live) and lists the
drifted objects and fields. Without --dry-run, re-applies exactly those objects (taking back fields other managers
changed) under the Lease lock; the deployed revision stays the same.

${f}

Options:
  --dry-run                 only report drift; exit code 3 when there is drift
  --wait                    wait for rollouts of re-applied workloads
  --timeout <duration>      rollout wait timeout (default 5m)
${F}
`,async run(t,o){let{values:e,positionals:r}=d(t,{...u,"dry-run":{type:"boolean"},wait:{type:"boolean"},timeout:{type:"string"},...m});p(r);let a=y(e);e.timeout!==void 0&&$(e.timeout,"--timeout");let s=g(e),n=await h(e,o.signal);try{if(e["dry-run"]){let l=await w(n,{environment:s,namespace:a,checks:[c]});return o.stdout(k(l,s)),l.drifted.length?3:0}let{force:D,release:x,...C}=v(e,a,o),i=await b(n,C);return o.stdout(k(i.drift,s)),i.apply&&o.stdout(j(i.apply)),0}finally{n.close()}}};export{k as formatDrift,A as reconcileCommand};
