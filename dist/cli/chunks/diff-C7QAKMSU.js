#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as I,b as D,c as N,d as U}from"./chunk-42DWM73B.js";import{a as E,e as M,g as A}from"./chunk-6DBELEGV.js";import{e as p,f as l,g as w,h as $,i as R,j as v,k as C,l as F}from"./chunk-ZMPCRBOY.js";import{a as r,b as S}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";import{writeFile as T}from"node:fs/promises";var b=3,B={name:"diff",usage:`Usage: thanos-gitops diff (--base <ref> | --base-config <file>) [--head <ref>] [source] [options]

Renders the source at the base and at the head, diffs the two manifest sets and prints the report the
pull-request Action posts: changes per object, Thanos-aware risk flags with their source, stack validation of the
head (also printed on stderr), the restart impact per workload and the requested capacity per component. The head
is the working tree unless
--head names a ref. A base commit in which the source does not exist yet counts as empty. In a shallow clone a
missing base commit is fetched with 'git fetch --depth=1 origin <ref>'.

${R}

Options:
  --base <ref>              git ref to compare against (branch, tag, sha, HEAD~1)
  --base-config <file>      compare against another stack config instead of a git ref
  --head <ref>              git ref to render as the head (default: the working tree)
  --environment, -e <name>  environment named in the report (default: default)
  --format <format>         markdown (default), json (objects, risks, forecast, capacity, issues) or unified
                            (a plain unified diff for terminals, with '#' comment lines for the risks)
  --json                    the same as --format json
  --output <file>           write the report to a file and print a one-line summary instead
  --max-length <n>          shorten the report to at most n characters (as for a PR comment)
  --exit-code               exit with ${b} when the manifests differ

Exit codes: 0 no change (or changes without --exit-code), 1 failure, 2 usage error,
${b} changes found (with --exit-code).

Examples:
  thanos-gitops diff --base origin/main --config thanos-stack.yaml
  thanos-gitops diff --base-config examples/stack/thanos-stack.yaml --config examples/stack/thanos-stack.next.yaml
`,async run(H,f){let{values:e,positionals:O}=S(H,{...$,base:{type:"string"},"base-config":{type:"string"},head:{type:"string"},environment:{type:"string",short:"e"},output:{type:"string"},"max-length":{type:"string"},"exit-code":{type:"boolean"},format:{type:"string"},json:{type:"boolean"}});C(O);let h=e["base-config"],o;if(e.base!==void 0?o={ref:e.base}:h!==void 0&&(o={config:h}),o===void 0||e.base!==void 0&&h!==void 0)throw new r("pass exactly one of --base <ref> and --base-config <file>");let s;if(e["max-length"]!==void 0&&(s=Number(e["max-length"]),!Number.isInteger(s)||s<1e3))throw new r(`--max-length must be a whole number of at least 1000, got '${e["max-length"]}'`);let c=e.json?"json":e.format??"markdown";if(!["markdown","json","unified"].includes(c)||e.json&&e.format!==void 0&&e.format!=="json")throw new r(`--format must be markdown, json or unified (and --json means --format json), got '${e.format??""}'`);if(s!==void 0&&c!=="markdown")throw new r("--max-length shortens the Markdown report; it does not apply to --format json or unified");let a=v(e);if(h!==void 0&&a.type!=="config")throw new r("--base-config compares two stack configs; use --config for the head (or --base <ref> for other sources)");return F(f,()=>E(f,async d=>{let t={environment:e.environment??"default"},g;"ref"in o?(t.baseRef=o.ref,t.baseSha=await l(o.ref),g=await w(a,t.baseSha,process.cwd(),{progress:d})):(t.baseRef=o.config,g=await p({type:"config",config:o.config},{progress:d}));let m;e.head!==void 0?(t.headRef=e.head,t.headSha=await l(e.head),m=await w(a,t.headSha,process.cwd(),{progress:d})):(t.headRef="config"in o&&a.type==="config"?a.config:"working tree",m=await p(a,{progress:d})),A(m,a,f);let i=M(g,m,{progress:d}),n;c==="json"?n=I(i,t):c==="unified"?n=D(i,t):s===void 0?n=N(i,t):(t.fullReportHint="the output of `thanos-gitops diff` run without --max-length",n=U(i,t,{maxLength:s}));let{added:y,removed:x,modified:k,unchanged:P}=i.counts,j=y+x+k>0;if(e.output!==void 0){await T(e.output,n.endsWith(`
`)?n:`${n}
`);let u=i.risks.length;f.stdout(`${j?"Changes":"No changes"}: ${y} added, ${x} removed, ${k} modified, ${P} unchanged${u>0?`; ${u} risk${u===1?"":"s"}`:""}; report written to ${e.output}
`)}else f.stdout(n.endsWith(`
`)?n:`${n}
`);return j&&e["exit-code"]?b:0}))}};export{b as DIFF_CHANGES_EXIT_CODE,B as diffCommand};
