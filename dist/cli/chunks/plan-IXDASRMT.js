#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{b as y,f as $,g as j,h as v,i as w,j as k}from"./chunk-DF2BNL7H.js";import"./chunk-S7R4HRBQ.js";import"./chunk-W7HPH5Q7.js";import{c as b}from"./chunk-OTE5DTPA.js";import{d as f,g as m,h as d,i as u,j as g,k as h}from"./chunk-3Y5ER6DD.js";import{b as p}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function O(n,r){let s=[b(n.diff,{environment:r,title:`Plan for ${r} (server-side dry-run against the live cluster)`})],t=(e,i)=>{i.length&&s.push(`${e}
${i.map(a=>`  ${a}`).join(`
`)}`)};return t("Would prune (members of earlier applies no longer in the set):",n.prune),t("Conflicts (apply needs --force-conflicts):",n.conflicts.map(e=>`${e.object}: ${e.field} is owned by "${e.manager}"`)),t("Immutable fields (apply needs --recreate):",n.immutable.map(e=>`${e.object}: ${e.message}`)),t("Refused by the server:",n.errors.map(e=>`${e.object}: ${e.message}`)),t("Warnings:",n.warnings),`${s.join(`

`)}
`}var W={name:"plan",usage:`Usage: thanos-gitops plan [source] [cluster] [options]

Server-side dry-runs every object of the set and diffs the result against the live object (Secrets masked),
including objects apply would prune, fields other managers own and immutable-field changes. Never writes.
Exit code 0 when the plan succeeded (whether or not there are changes), 1 when the server refused an object.

${d}

${j}

Options:
  --force-conflicts         plan as if conflicts were forced
  --skip-missing-kinds      skip objects of kinds the server does not serve
  --no-prune                do not show prune candidates
  --json                    print the plan as JSON (counts, entries with patches, conflicts, prune list)
`,async run(n,r){let{values:s,positionals:t}=p(n,{...m,...$,"force-conflicts":{type:"boolean"},"skip-missing-kinds":{type:"boolean"},"no-prune":{type:"boolean"},json:{type:"boolean"}});g(t);let e=u(s);return h(r,async()=>{let i=await f(e),a=w(s),l=v(s);try{let o=await y(l,i,{environment:a,namespace:k(s,i),force:!!s["force-conflicts"],prune:!s["no-prune"],missingKinds:s["skip-missing-kinds"]?"skip":"fail"});if(s.json){let{live:P,merged:C,...F}=o;r.stdout(`${JSON.stringify({...F,diff:{counts:o.diff.counts,risks:o.diff.risks,entries:o.diff.entries.filter(c=>c.change!=="unchanged").map(({before:c,after:R,...S})=>S)}},null,2)}
`)}else r.stdout(O(o,a));return o.errors.length?1:0}finally{l.close()}})}};export{O as formatPlan,W as planCommand};
