#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{i as D}from"./chunk-2C3NSNWU.js";import{a as R,m as C,n as P}from"./chunk-VS4GWFTA.js";import{f as N}from"./chunk-JUI22LME.js";import"./chunk-VMHS34MY.js";import"./chunk-X6A6SXPK.js";import"./chunk-SYOI2I53.js";import{c as x}from"./chunk-KMVZHH77.js";import"./chunk-KJFMDFE4.js";import"./chunk-NTGMYMIN.js";import"./chunk-DOFZPVIQ.js";import"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import{A as $,C as j,E as F,F as S,H as O,a as u,e as g,t as h,u as y,v as b,w,x as v,y as k}from"./chunk-EYTJAAGM.js";import{b as m}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";function E(s,o,r){let l={environment:o,title:`Plan for ${o} (server-side dry-run against the live cluster)`,baseRef:"live cluster",...r?{headRef:r}:{}},i=[x(s.diff,l)],n=(e,a)=>{a.length&&i.push(`${e}
${a.map(c=>`  ${c}`).join(`
`)}`)};return s.diff.order?.refused?i.push(`Order of the apply: REFUSED
  ${s.diff.order.refused.replace(/\n/g,`
  `)}`):n("Order of the apply (the ingestor ring changes; apply --no-order applies everything at once):",s.diff.order?.steps??[]),n("Order warnings:",s.diff.order?.warnings??[]),n("Would prune (members of earlier applies no longer in the set):",s.prune),n("Conflicts (apply needs --force-conflicts):",s.conflicts.map(e=>`${e.object}: ${e.field} is owned by "${e.manager}"`)),n("Immutable fields (apply needs --recreate):",s.immutable.map(e=>`${e.object}: ${e.message}`)),n("Refused by the server:",s.errors.map(e=>`${e.object}: ${e.message}`)),n("Not dry-run (their CustomResourceDefinition is in this set and not served yet; apply creates it first, then checks them):",s.deferred.map(e=>`${e.object}: will be created after CustomResourceDefinition ${e.crd}`)),n("Warnings:",s.warnings),`${i.join(`

`)}
`}var Q={name:"plan",usage:`Usage: thanos-gitops plan [source] [cluster] [options]

Server-side dry-runs every object of the set and diffs the result against the live object (Secrets masked),
including objects apply would prune, fields other managers own and immutable-field changes. Never writes.
Exit code 0 when the plan succeeded (whether or not there are changes), 1 when the server refused an object.

${w}

${j}

Options:
  --force-conflicts         plan as if conflicts were forced
  --skip-missing-kinds      skip objects of kinds the server does not serve
  --no-prune                do not show prune candidates
  --write-only-secrets      never read or compare Secrets: each is shown as "will be written" with its key names
                            (what the plan identity of 'thanos-gitops rbac --mode plan' may do; no Secret access)
  --json                    print the plan as JSON (counts, entries with patches, conflicts, prune list)
`,async run(s,o){let{values:r,positionals:l}=y(s,{...b,...$,"force-conflicts":{type:"boolean"},"skip-missing-kinds":{type:"boolean"},"no-prune":{type:"boolean"},"write-only-secrets":{type:"boolean"},json:{type:"boolean"}});k(l);let i=v(r);return m(o,()=>R(o,async n=>{let e=await g(i,{progress:n});P(e,i,o);let a=S(r),c=await F(r);try{let f=O(r,e),t=C(await N(c,e,{progress:n,environment:a,namespace:f,force:!!r["force-conflicts"],prune:!r["no-prune"],missingKinds:r["skip-missing-kinds"]?"skip":"fail",secrets:r["write-only-secrets"]?"write-only":"compare",checks:[h]})),d=D(t.live,e,f);if(d&&(t.diff.order=d),r.json){let{live:I,merged:J,...U}=t;o.stdout(`${JSON.stringify({...U,diff:{counts:t.diff.counts,risks:t.diff.risks,forecast:t.diff.forecast,capacity:t.diff.capacity,issues:t.diff.issues,order:t.diff.order??null,entries:t.diff.entries.filter(p=>p.change!=="unchanged").map(({before:p,after:M,..._})=>_)}},null,2)}
`)}else o.stdout(E(t,a,u(i)));return t.errors.length?1:0}finally{c.close()}}))}};export{E as formatPlan,Q as planCommand};
