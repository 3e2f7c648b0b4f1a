#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{b as k,f as j,g as F,i as S,j as R,k as C}from"./chunk-YXUMPDMT.js";import"./chunk-5IGX32WP.js";import"./chunk-WKJYOCR3.js";import"./chunk-GHJHKOKD.js";import"./chunk-FVGG4ZB7.js";import"./chunk-SZLLNCM4.js";import"./chunk-LMUPJLWB.js";import"./chunk-5X6OWJJG.js";import{c as $}from"./chunk-42DWM73B.js";import{a as w,g as v}from"./chunk-6DBELEGV.js";import{a as d,e as m,h as u,i as g,j as h,k as y,l as b}from"./chunk-ZMPCRBOY.js";import{b as p}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function x(t,o,s){let l={environment:o,title:`Plan for ${o} (server-side dry-run against the live cluster)`,baseRef:"live cluster",...s?{headRef:s}:{}},i=[$(t.diff,l)],n=(e,a)=>{a.length&&i.push(`${e}
${a.map(c=>`  ${c}`).join(`
`)}`)};return n("Would prune (members of earlier applies no longer in the set):",t.prune),n("Conflicts (apply needs --force-conflicts):",t.conflicts.map(e=>`${e.object}: ${e.field} is owned by "${e.manager}"`)),n("Immutable fields (apply needs --recreate):",t.immutable.map(e=>`${e.object}: ${e.message}`)),n("Refused by the server:",t.errors.map(e=>`${e.object}: ${e.message}`)),n("Not dry-run (their CustomResourceDefinition is in this set and not served yet; apply creates it first, then checks them):",t.deferred.map(e=>`${e.object}: will be created after CustomResourceDefinition ${e.crd}`)),n("Warnings:",t.warnings),`${i.join(`

`)}
`}var z={name:"plan",usage:`Usage: thanos-gitops plan [source] [cluster] [options]

Server-side dry-runs every object of the set and diffs the result against the live object (Secrets masked),
including objects apply would prune, fields other managers own and immutable-field changes. Never writes.
Exit code 0 when the plan succeeded (whether or not there are changes), 1 when the server refused an object.

${g}

${F}

Options:
  --force-conflicts         plan as if conflicts were forced
  --skip-missing-kinds      skip objects of kinds the server does not serve
  --no-prune                do not show prune candidates
  --write-only-secrets      never read or compare Secrets: each is shown as "will be written" with its key names
                            (what the plan identity of 'thanos-gitops rbac --mode plan' may do; no Secret access)
  --json                    print the plan as JSON (counts, entries with patches, conflicts, prune list)
`,async run(t,o){let{values:s,positionals:l}=p(t,{...u,...j,"force-conflicts":{type:"boolean"},"skip-missing-kinds":{type:"boolean"},"no-prune":{type:"boolean"},"write-only-secrets":{type:"boolean"},json:{type:"boolean"}});y(l);let i=h(s);return b(o,()=>w(o,async n=>{let e=await m(i,{progress:n});v(e,i,o);let a=R(s),c=S(s);try{let r=await k(c,e,{progress:n,environment:a,namespace:C(s,e),force:!!s["force-conflicts"],prune:!s["no-prune"],missingKinds:s["skip-missing-kinds"]?"skip":"fail",secrets:s["write-only-secrets"]?"write-only":"compare"});if(s.json){let{live:N,merged:_,...P}=r;o.stdout(`${JSON.stringify({...P,diff:{counts:r.diff.counts,risks:r.diff.risks,forecast:r.diff.forecast,capacity:r.diff.capacity,issues:r.diff.issues,entries:r.diff.entries.filter(f=>f.change!=="unchanged").map(({before:f,after:D,...O})=>O)}},null,2)}
`)}else o.stdout(x(r,a,d(i)));return r.errors.length?1:0}finally{c.close()}}))}};export{x as formatPlan,z as planCommand};
