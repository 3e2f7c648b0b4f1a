#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as p,f as c,g as d,h as u,i as f}from"./chunk-DF2BNL7H.js";import"./chunk-S7R4HRBQ.js";import"./chunk-W7HPH5Q7.js";import"./chunk-OTE5DTPA.js";import{j as l}from"./chunk-3Y5ER6DD.js";import{a,b as m}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";function h(r){let s=[["REVISION","UPDATED","STATUS","COMMIT","OBJECTS","DESCRIPTION"]];for(let e of r)s.push([String(e.revision),e.time,e.status,(e.sourceCommit??"").slice(0,12),String(e.objects),(e.description??"").split(`
`)[0]??""]);let t=s[0].map((e,n)=>Math.max(...s.map(o=>(o[n]??"").length)));return`${s.map(e=>e.map((n,o)=>o===e.length-1?n:n.padEnd(t[o]??0)).join("  ").trimEnd()).join(`
`)}
`}var O={name:"history",usage:`Usage: thanos-gitops history [cluster] [--json]

Lists the release revisions of the environment (Secrets thanos-gitops.release.v1.<environment>.v<revision> in the
namespace): revision, time, status (deployed, superseded, failed), source commit, object count, description.
Secret contents are never printed.

${d}

Options:
  --json                    print the list as JSON
`,async run(r,s){let{values:t,positionals:e}=m(r,{...c,json:{type:"boolean"}});if(l(e),!t.namespace)throw new a("--namespace is required (where the release history lives)");let n=f(t),o=u(t);try{let i=await new p(o,t.namespace,n).list();return t.json?s.stdout(`${JSON.stringify(i,null,2)}
`):i.length===0?s.stdout(`no releases recorded for environment ${n} in namespace ${t.namespace}
`):s.stdout(h(i)),0}finally{o.close()}}};export{h as formatHistory,O as historyCommand};
