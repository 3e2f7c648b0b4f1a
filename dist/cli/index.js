#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as i}from"./chunks/chunk-FUZNJ3WM.js";import"./chunks/chunk-5BYZYU6P.js";import{realpathSync as d}from"node:fs";import{fileURLToPath as p}from"node:url";var o=[{name:"render",summary:"Render a source to kube-thanos style manifest files or a YAML stream",load:async()=>(await import("./chunks/render-4UR4CTJ7.js")).renderCommand},{name:"validate",summary:"Check that a source loads and renders to a consistent manifest set",load:async()=>(await import("./chunks/validate-QO7A33RW.js")).validateCommand},{name:"diff",summary:"Diff the manifests of a base (git ref or config) against the working tree or a head ref",load:async()=>(await import("./chunks/diff-2IVMRGX7.js")).diffCommand},{name:"plan",summary:"Show what apply would change, computed by the server (dry-run), without writing",load:async()=>(await import("./chunks/plan-IXDASRMT.js")).planCommand},{name:"apply",summary:"Server-side apply a source to the cluster as one ApplySet, prune, and record a release",load:async()=>(await import("./chunks/apply-XLZJCG3V.js")).applyCommand},{name:"reconcile",summary:"Detect drift from the deployed release and re-apply exactly the drifted objects",load:async()=>(await import("./chunks/reconcile-Q5AR6RK7.js")).reconcileCommand},{name:"history",summary:"List the release revisions recorded for an environment",load:async()=>(await import("./chunks/history-EWVFYWZY.js")).historyCommand},{name:"rollback",summary:"Re-apply a recorded release revision as a new revision",load:async()=>(await import("./chunks/rollback-47HNJADY.js")).rollbackCommand},{name:"rotate",summary:"Issue, renew and rotate mTLS certificates and object-storage keys (resumable)",load:async()=>(await import("./chunks/rotate-WOFGN7JV.js")).rotateCommand},{name:"tenant-config",summary:"Print a tenant's Prometheus remote_write block (mTLS)",load:async()=>(await import("./chunks/tenant-config-P4ZSQC6B.js")).tenantConfigCommand},{name:"eks-token",summary:"Print an EKS bearer token as ExecCredential JSON (like aws eks get-token)",load:async()=>(await import("./chunks/eks-token-MJQCPVGM.js")).eksTokenCommand},{name:"rbac",summary:"Print the namespace Role/RoleBinding the apply or plan identity needs",load:async()=>(await import("./chunks/rbac-GXPIBX6D.js")).rbacCommand}];var l={stdout:r=>process.stdout.write(r),stderr:r=>process.stderr.write(r)};function c(){let r=Math.max(...o.map(e=>e.name.length),8);return`Usage: thanos-gitops <command> [options]

Commands:
${o.map(e=>`  ${e.name.padEnd(r)}  ${e.summary}`).join(`
`)}

Run 'thanos-gitops <command> --help' for a command's options.
`}async function u(r,n=l){let[e,...s]=r;if(e===void 0||e==="--help"||e==="-h"||e==="help")return n.stdout(c()),e===void 0?2:0;let m=o.find(a=>a.name===e);if(!m)return n.stderr(`error: unknown command '${e}'

${c()}`),2;let t=await m.load();if(s.includes("--help")||s.includes("-h"))return n.stdout(t.usage.endsWith(`
`)?t.usage:`${t.usage}
`),0;try{return await t.run(s,n)}catch(a){return a instanceof i?(n.stderr(`error: ${a.message}
Run 'thanos-gitops ${t.name} --help' for usage.
`),2):(n.stderr(`error: ${a instanceof Error?a.message:String(a)}
`),process.env.THANOS_GITOPS_DEBUG==="1"&&a instanceof Error&&a.stack&&n.stderr(`${a.stack}
`),1)}}function y(){if(!process.argv[1])return!1;try{return d(process.argv[1])===d(p(import.meta.url))}catch{return!1}}y()&&(process.exitCode=await u(process.argv.slice(2)));export{u as main};
