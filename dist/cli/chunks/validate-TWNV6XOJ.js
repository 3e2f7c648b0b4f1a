#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as k,n as v}from"./chunk-VS4GWFTA.js";import"./chunk-NTGMYMIN.js";import"./chunk-DOFZPVIQ.js";import{a as r,d,e as l,r as m,s as u,u as f,v as p,w as g,x as w,y as b}from"./chunk-EYTJAAGM.js";import{b as h}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";var M={name:"validate",usage:`Usage: thanos-gitops validate [source]

Loads the source (config schema, jsonnet evaluation or YAML parsing), renders it and checks that every object
has apiVersion, kind and metadata.name, that names and namespaces are ones the API server accepts for the kind
(DNS-1123 subdomain, label or DNS-1035 label as Kubernetes requires), that container images hold no whitespace or
control characters, and that file names do not clash. Files must be UTF-8, and YAML tags other than the core
ones (!!str, !!int, ...) are errors, so nothing is silently converted. Prints one OK line with the object
count, or the first problem with its file and line (exit code 1). A CA bundle that a workload of the set reads
as a TLS client CA must hold PEM certificates (Thanos serves plain HTTP when it holds none). An object defined twice with different
content is a warning (kube-thanos's all.jsonnet does this for sharded components): the last one wins.

Then checks the rendered stack against what Thanos v0.42 does with it, naming the config option and the fix:
hashrings with fewer endpoints than the replication factor (error), routers and ingestors with different
replication factors, queriers that do not deduplicate on the receivers' or rulers' per-pod label, compactor
deduplication labels, two compactors on one bucket, retention shorter than downsampling needs, and a
ketama hashring whose ingestors lack --receive.hashrings-algorithm=ketama. Exit code 1 on any error.

${g}
`,async run($,t){let{values:j,positionals:S}=f($,p);b(S);let s=w(j);return h(t,async()=>{let{set:n,warnings:y}=await k(t,async e=>{let c=await l(s,{progress:e});return{set:c,warnings:d(c,e)}});for(let e of y)t.stderr(`warning: ${e}
`);let o=m(n);if(o.length>0)throw new Error(`${r(s)}: ${o.map(u).join(`
`)}`);let a=v(n,s,t).filter(e=>e.severity==="error").length;if(a>0)return t.stderr(`${r(s)}: ${a} error${a===1?"":"s"}; Thanos would refuse or lose writes with this stack
`),1;let i=new Set(n.map(e=>e.object.kind)).size;return t.stdout(`OK: ${r(s)} renders ${n.length} object${n.length===1?"":"s"} of ${i} kind${i===1?"":"s"}
`),0})}};export{M as validateCommand};
