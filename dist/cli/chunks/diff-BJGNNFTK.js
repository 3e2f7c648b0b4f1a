#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{i as L}from"./chunk-2C3NSNWU.js";import{a as O,l as P,n as T}from"./chunk-VS4GWFTA.js";import{a as U,b as _,c as H,d as q}from"./chunk-KMVZHH77.js";import"./chunk-KJFMDFE4.js";import"./chunk-NTGMYMIN.js";import"./chunk-DOFZPVIQ.js";import"./chunk-IUJX3QMY.js";import{e as l,j as u,k as w,l as E,m as C,u as M,v as N,w as A,x as I,y as D}from"./chunk-EYTJAAGM.js";import{a as r,b as F}from"./chunk-4NRCPALZ.js";import"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-G3CW4RRU.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";import{writeFile as J}from"node:fs/promises";var b=3,oe={name:"diff",usage:`Usage: thanos-gitops diff (--base <ref> | --base-config <file>) [--head <ref>] [source] [options]

Renders the source at the base and at the head, diffs the two manifest sets and prints the report the
pull-request Action posts: changes per object, Thanos-aware risk flags with their source, stack validation of the
head (also printed on stderr), the restart impact per workload and the requested capacity per component. The head
is the working tree unless
--head names a ref. A base commit in which the source does not exist yet counts as empty. In a shallow clone a
missing base commit is fetched with 'git fetch --depth=1 origin <ref>'.

${A}

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
`,async run(W,m){let{values:e,positionals:z}=M(W,{...N,base:{type:"string"},"base-config":{type:"string"},head:{type:"string"},environment:{type:"string",short:"e"},output:{type:"string"},"max-length":{type:"string"},"exit-code":{type:"boolean"},format:{type:"string"},json:{type:"boolean"}});D(z);let y=e.environment??E,x=C(y,"--environment");if(x!==void 0)throw new r(x);let h=e["base-config"],o;if(e.base!==void 0?o={ref:e.base}:h!==void 0&&(o={config:h}),o===void 0||e.base!==void 0&&h!==void 0)throw new r("pass exactly one of --base <ref> and --base-config <file>");let f;if(e["max-length"]!==void 0&&(f=Number(e["max-length"]),!Number.isInteger(f)||f<1e3))throw new r(`--max-length must be a whole number of at least 1000, got '${e["max-length"]}'`);let p=e.json?"json":e.format??"markdown";if(!["markdown","json","unified"].includes(p)||e.json&&e.format!==void 0&&e.format!=="json")throw new r(`--format must be markdown, json or unified (and --json means --format json), got '${e.format??""}'`);if(f!==void 0&&p!=="markdown")throw new r("--max-length shortens the Markdown report; it does not apply to --format json or unified");let a=I(e);if(h!==void 0&&a.type!=="config")throw new r("--base-config compares two stack configs; use --config for the head (or --base <ref> for other sources)");return F(m,()=>O(m,async c=>{let t={environment:y},g;"ref"in o?(t.baseRef=o.ref,t.baseSha=await u(o.ref),g=await w(a,t.baseSha,process.cwd(),{progress:c})):(t.baseRef=o.config,g=await l({type:"config",config:o.config},{progress:c}));let d;e.head!==void 0?(t.headRef=e.head,t.headSha=await u(e.head),d=await w(a,t.headSha,process.cwd(),{progress:c})):(t.headRef="config"in o&&a.type==="config"?a.config:"working tree",d=await l(a,{progress:c})),T(d,a,m);let s=P(g,d,{progress:c}),k=[...new Set(d.map(i=>i.object.metadata?.namespace).filter(i=>!!i))],j=L(g,d,k.length===1?k[0]:"default");j&&(s.order=j);let n;p==="json"?n=U(s,t):p==="unified"?n=_(s,t):f===void 0?n=H(s,t):(t.fullReportHint="the output of `thanos-gitops diff` run without --max-length",n=q(s,t,{maxLength:f}));let{added:S,removed:R,modified:$,unchanged:G}=s.counts,v=S+R+$>0;if(e.output!==void 0){await J(e.output,n.endsWith(`
`)?n:`${n}
`);let i=s.risks.length;m.stdout(`${v?"Changes":"No changes"}: ${S} added, ${R} removed, ${$} modified, ${G} unchanged${i>0?`; ${i} risk${i===1?"":"s"}`:""}; report written to ${e.output}
`)}else m.stdout(n.endsWith(`
`)?n:`${n}
`);return v&&e["exit-code"]?b:0}))}};export{b as DIFF_CHANGES_EXIT_CODE,oe as diffCommand};
