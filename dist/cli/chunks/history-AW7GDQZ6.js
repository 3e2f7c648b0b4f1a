#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as c,f as p,h as f,i as d,j as u}from"./chunk-YXUMPDMT.js";import"./chunk-5IGX32WP.js";import"./chunk-WKJYOCR3.js";import"./chunk-GHJHKOKD.js";import"./chunk-FVGG4ZB7.js";import"./chunk-SZLLNCM4.js";import"./chunk-LMUPJLWB.js";import"./chunk-5X6OWJJG.js";import"./chunk-42DWM73B.js";import"./chunk-6DBELEGV.js";import{k as l}from"./chunk-ZMPCRBOY.js";import{a,b as m}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function h(i){let s=[["REVISION","UPDATED","STATUS","COMMIT","OBJECTS","DESCRIPTION"]];for(let e of i){let[t="",...n]=(e.description??"").replace(/\n+$/,"").split(`
`);s.push([String(e.revision),e.time,e.status,(e.sourceCommit??"").slice(0,12),String(e.objects),t]);for(let r of n)s.push(["","","","","",r])}let o=s[0].map((e,t)=>Math.max(...s.map(n=>(n[t]??"").length)));return`${s.map(e=>e.map((t,n)=>n===e.length-1?t:t.padEnd(o[n]??0)).join("  ").trimEnd()).join(`
`)}
`}var F={name:"history",usage:`Usage: thanos-gitops history [cluster] [--json]

Lists the release revisions of the environment (Secrets thanos-gitops.release.v1.<environment>.v<revision> in the
namespace): revision, time, status (deployed, superseded, failed), source commit, object count, description.
Secret contents are never printed.

${f}

Options:
  --json                    print the list as JSON
`,async run(i,s){let{values:o,positionals:e}=m(i,{...p,json:{type:"boolean"}});if(l(e),!o.namespace)throw new a("--namespace is required (where the release history lives)");let t=u(o),n=d(o);try{let r=await new c(n,o.namespace,t).list();return o.json?s.stdout(`${JSON.stringify(r,null,2)}
`):r.length===0?s.stdout(`no releases recorded for environment ${t} in namespace ${o.namespace}
`):s.stdout(h(r)),0}finally{n.close()}}};export{h as formatHistory,F as historyCommand};
