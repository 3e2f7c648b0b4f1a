#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{b as g,c as h}from"./chunk-JUI22LME.js";import"./chunk-VMHS34MY.js";import"./chunk-X6A6SXPK.js";import"./chunk-SYOI2I53.js";import"./chunk-KMVZHH77.js";import"./chunk-KJFMDFE4.js";import"./chunk-NTGMYMIN.js";import"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import{A as l,D as p,E as d,F as u,G as f,u as c,y as m}from"./chunk-EYTJAAGM.js";import"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";function y(i){let s=[["REVISION","UPDATED","STATUS","COMMIT","OBJECTS","DESCRIPTION"]];for(let e of i){let[t="",...n]=(e.description??"").replace(/\n+$/,"").split(`
`);s.push([String(e.revision),e.time,e.status,(e.sourceCommit??"").slice(0,12),String(e.objects),t]);for(let r of n)s.push(["","","","","",r])}let o=s[0].map((e,t)=>Math.max(...s.map(n=>(n[t]??"").length)));return`${s.map(e=>e.map((t,n)=>n===e.length-1?t:t.padEnd(o[n]??0)).join("  ").trimEnd()).join(`
`)}
`}var j={name:"history",usage:`Usage: thanos-gitops history [cluster] [--json]

Lists the release revisions of the environment (Secrets thanos-gitops.release.v1.<environment>.v<revision> in the
namespace): revision, time, status (deployed, superseded, failed), source commit, object count, description.
Secret contents are never printed.

${p}

Options:
  --json                    print the list as JSON
`,async run(i,s){let{values:o,positionals:e}=c(i,{...l,json:{type:"boolean"}});m(e);let t=f(o),n=u(o),r=await d(o);try{let a=await new g(new h(r,t,n)).list();return o.json?s.stdout(`${JSON.stringify(a,null,2)}
`):a.length===0?s.stdout(`no releases recorded for environment ${n} in namespace ${t}
`):s.stdout(y(a)),0}finally{r.close()}}};export{y as formatHistory,j as historyCommand};
