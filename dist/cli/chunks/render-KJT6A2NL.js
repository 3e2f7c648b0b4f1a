#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as c,d as l,e as p,f,g as m,h as y,i as g,u as h,v as w,w as b,x as S,y as $}from"./chunk-EYTJAAGM.js";import{b as u}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";var M={name:"render",usage:`Usage: thanos-gitops render [source] [--out <dir>]

Renders the manifest set and writes one file per object into --out, listing them in --out/${f}.
The next render replaces or removes only the files listed there: files you put in the directory yourself are
kept (a rendered file that would overwrite one is refused), and a non-empty directory without the record is
refused. --out may not be, contain or lie inside a --dir source. On failure, Ctrl-C or SIGTERM the directory is
left as it was. Without --out the set is printed to stdout as a '---'-separated YAML stream.

${b}

Options:
  --out, -o <dir>           output directory

Examples:
  thanos-gitops render --config thanos-stack.yaml --out manifests/
  thanos-gitops render --entrypoint example.jsonnet --jpath vendor --out manifests/
  thanos-gitops render --dir deploy/ | kubectl apply --dry-run=client -f -
`,async run(R,t){let{values:r,positionals:k}=h(R,{...w,out:{type:"string",short:"o"}});$(k);let s=S(r);return u(t,async()=>{let o=await p(s);for(let e of l(o))t.stderr(`warning: ${e}
`);if(r.out===void 0)return t.stdout(m(o)),0;let a=new AbortController,i={SIGINT:130,SIGTERM:143},n,C=Object.keys(i).map(e=>{let d=()=>{n??=e,a.abort()};return process.on(e,d),()=>process.off(e,d)});try{await g(o,r.out,{signal:a.signal,sourceDirs:s.type==="manifests"?[s.dir]:[]})}catch(e){if(e instanceof y&&n)return t.stderr(`${n}: stopped; ${r.out} was left as it was and the staging directory removed
`),i[n];throw e}finally{for(let e of C)e()}return t.stderr(`Rendered ${o.length} object${o.length===1?"":"s"} from ${c(s)} into ${r.out}
`),0})}};export{M as renderCommand};
