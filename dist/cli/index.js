#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{realpathSync as m}from"node:fs";import{fileURLToPath as u}from"node:url";var s=class extends Error{name="UsageError"};var a=[];var c={stdout:n=>process.stdout.write(n),stderr:n=>process.stderr.write(n)};function p(){let n=Math.max(...a.map(r=>r.name.length),8);return`Usage: thanos-gitops <command> [options]

Commands:
${a.map(r=>`  ${r.name.padEnd(n)}  ${r.summary}`).join(`
`)}

Run 'thanos-gitops <command> --help' for a command's options.
`}async function d(n,e=c){let[r,...i]=n;if(r===void 0||r==="--help"||r==="-h"||r==="help")return e.stdout(p()),r===void 0?2:0;let o=a.find(t=>t.name===r);if(!o)return e.stderr(`error: unknown command '${r}'

${p()}`),2;if(i.includes("--help")||i.includes("-h"))return e.stdout(o.usage.endsWith(`
`)?o.usage:`${o.usage}
`),0;try{return await o.run(i,e)}catch(t){return t instanceof s?(e.stderr(`error: ${t.message}
Run 'thanos-gitops ${o.name} --help' for usage.
`),2):(e.stderr(`error: ${t instanceof Error?t.message:String(t)}
`),1)}}function g(){if(!process.argv[1])return!1;try{return m(process.argv[1])===m(u(import.meta.url))}catch{return!1}}g()&&(process.exitCode=await d(process.argv.slice(2)));export{d as main};
