#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{b as F,c as E,d as M}from"./chunk-OTE5DTPA.js";import{d as m,e as u,f as p,g as S,h as $,i as R,j as v,k as C}from"./chunk-3Y5ER6DD.js";import{a as f,b as k}from"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";import{writeFile as N}from"node:fs/promises";var l=3,j={name:"diff",usage:`Usage: thanos-gitops diff (--base <ref> | --base-config <file>) [--head <ref>] [source] [options]

Renders the source at the base and at the head, diffs the two manifest sets and prints the Markdown report the
pull-request Action posts (changes per object, Thanos-aware risk flags). The head is the working tree unless
--head names a ref. A base commit in which the source does not exist yet counts as empty. In a shallow clone a
missing base commit is fetched with 'git fetch --depth=1 origin <ref>'.

${$}

Options:
  --base <ref>              git ref to compare against (branch, tag, sha, HEAD~1)
  --base-config <file>      compare against another stack config instead of a git ref
  --head <ref>              git ref to render as the head (default: the working tree)
  --environment, -e <name>  environment named in the report (default: default)
  --output <file>           write the report to a file and print a one-line summary instead
  --max-length <n>          shorten the report to at most n characters (as for a PR comment)
  --exit-code               exit with ${l} when the manifests differ

Exit codes: 0 no change (or changes without --exit-code), 1 failure, 2 usage error,
${l} changes found (with --exit-code).

Examples:
  thanos-gitops diff --base origin/main --config thanos-stack.yaml
  thanos-gitops diff --base-config examples/stack/thanos-stack.yaml --config examples/stack/thanos-stack.next.yaml
`,async run(A,d){let{values:e,positionals:D}=k(A,{...S,base:{type:"string"},"base-config":{type:"string"},head:{type:"string"},environment:{type:"string",short:"e"},output:{type:"string"},"max-length":{type:"string"},"exit-code":{type:"boolean"}});v(D);let i=e["base-config"],n;if(e.base!==void 0?n={ref:e.base}:i!==void 0&&(n={config:i}),n===void 0||e.base!==void 0&&i!==void 0)throw new f("pass exactly one of --base <ref> and --base-config <file>");let s;if(e["max-length"]!==void 0&&(s=Number(e["max-length"]),!Number.isInteger(s)||s<1e3))throw new f(`--max-length must be a whole number of at least 1000, got '${e["max-length"]}'`);let o=R(e);if(i!==void 0&&o.type!=="config")throw new f("--base-config compares two stack configs; use --config for the head (or --base <ref> for other sources)");return C(d,async()=>{let t={environment:e.environment??"default"},h;"ref"in n?(t.baseRef=n.ref,t.baseSha=await u(n.ref),h=await p(o,t.baseSha)):(t.baseRef=n.config,h=await m({type:"config",config:n.config}));let c;e.head!==void 0?(t.headRef=e.head,t.headSha=await u(e.head),c=await p(o,t.headSha)):(t.headRef="config"in n&&o.type==="config"?o.config:"working tree",c=await m(o));let r=F(h,c),a;s===void 0?a=E(r,t):(t.fullReportHint="the output of `thanos-gitops diff` run without --max-length",a=M(r,t,{maxLength:s}));let{added:b,removed:w,modified:x,unchanged:I}=r.counts,y=b+w+x>0;if(e.output!==void 0){await N(e.output,a.endsWith(`
`)?a:`${a}
`);let g=r.risks.length;d.stdout(`${y?"Changes":"No changes"}: ${b} added, ${w} removed, ${x} modified, ${I} unchanged${g>0?`; ${g} risk${g===1?"":"s"}`:""}; report written to ${e.output}
`)}else d.stdout(a.endsWith(`
`)?a:`${a}
`);return y&&e["exit-code"]?l:0})}};export{l as DIFF_CHANGES_EXIT_CODE,j as diffCommand};
