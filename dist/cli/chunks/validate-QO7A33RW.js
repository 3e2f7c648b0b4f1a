#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as i,c as r,d as c,g as d,h as l,i as m,j as h,k as g}from"./chunk-3Y5ER6DD.js";import{b as o}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";var k={name:"validate",usage:`Usage: thanos-gitops validate [source]

Loads the source (config schema, jsonnet evaluation or YAML parsing), renders it and checks that every object
has apiVersion, kind and metadata.name and that file names do not clash. Prints one OK line with the object
count, or the first problem with its file and line (exit code 1). An object defined twice with different
content is a warning (kube-thanos's all.jsonnet does this for sharded components): the last one wins.

${l}
`,async run(p,t){let{values:u,positionals:f}=o(p,d);h(f);let s=m(u);return g(t,async()=>{let e=await c(s);for(let n of r(e))t.stderr(`warning: ${n}
`);let a=new Set(e.map(n=>n.object.kind)).size;return t.stdout(`OK: ${i(s)} renders ${e.length} object${e.length===1?"":"s"} of ${a} kind${a===1?"":"s"}
`),0})}};export{k as validateCommand};
