#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
function X(e,t){let n=(s,a)=>({...s!==void 0?{ref:s}:{},...a!==void 0?{sha:a}:{}});return{schemaVersion:1,environment:t.environment,base:n(t.baseRef,t.baseSha),head:n(t.headRef,t.headSha),counts:e.counts,objects:e.entries.map(s=>({id:s.id,kind:s.kind,namespace:s.namespace,name:s.name,change:s.change,additions:s.additions,deletions:s.deletions,patch:s.patch})),risks:e.risks.map(s=>({id:s.id,severity:s.severity,object:s.object,message:s.message,action:s.action,source:s.source??null})),forecast:e.forecast??[],capacity:e.capacity??[],issues:e.issues??[]}}function Y(e,t){return`${JSON.stringify(X(e,t),null,2)}
`}function q(e,t){let n=r=>r.replace(/[\r\n]+/g," "),{added:s,removed:a,modified:c,unchanged:u}=e.counts,o=[`# thanos-gitops diff for ${n(t.environment)}: ${s} added, ${a} removed, ${c} modified, ${u} unchanged; ${e.risks.length} risk${e.risks.length===1?"":"s"}`];for(let r of e.risks)o.push(`# [${r.severity}] ${r.id} ${n(r.object)}: ${n(r.message)}`),o.push(`#   what to do: ${n(r.action)}${r.source?` (${r.source.label}: ${r.source.url})`:""}`);for(let r of e.issues??[])o.push(`# ${r.severity}: ${r.id} ${n(r.object)}: ${n(r.message)}; fix: ${n(r.fix)}`);for(let r of e.forecast??[])o.push(`# restart: ${n(r.object)} (${r.pods.base} -> ${r.pods.head} pods) ${r.effect}: ${n(r.order)}; ${n(r.reason)}`);let l=e.entries.filter(r=>r.change!=="unchanged").map(r=>r.patch.endsWith(`
`)?r.patch:`${r.patch}
`);return`${o.join(`
`)}
${l.join("")}`}var Z=/[&<>"'`*_~[\]|\\!$]/g;function $(e){return e.replace(/[\r\n\u2028\u2029]+/g," ").replace(Z,t=>`&#${t.charCodeAt(0)};`)}function d(e){let t=e.replace(/[\r\n\u2028\u2029]+/g," "),n=$(t);return n===t?`\`${t}\``:`<code>${n}</code>`}var J=6e4,Q=600,ee="this workflow run's job summary and the file named by the `report-path` output";function T(e){return`<!-- thanos-gitops:${e.replace(/[^A-Za-z0-9._/:-]/g,"_").replace(/-{2,}/g,"-")} -->`}function ne(e){return e?e.slice(0,12):void 0}function m(e,t=1/0){let n=e.replace(/[\r\n]+/g," ");return(n.length>t?`${n.slice(0,t-1)}\u2026`:n).split(/`([^`]*)`/).map((a,c)=>c%2===1?`<code>${$(a)}</code>`:$(a)).join("")}function M(e,t){return`${e} ${t}${e===1?"":"s"}`}function C(e){return e.namespace?`${e.namespace}/${e.name}`:e.name}function A(e){return`${e.kind} ${C(e)}`}function N(e){return`### ${e.title??`thanos-gitops diff for ${d(e.environment)}`}`}function W(e){let{added:t,removed:n,modified:s,unchanged:a}=e.counts,c=t+n+s,u=l=>e.risks.filter(r=>r.severity===l).length,o=e.risks.length===0?"no risks flagged":`**${M(e.risks.length,"risk")}** (${["high","medium","low"].map(l=>[l,u(l)]).filter(([,l])=>l>0).map(([l,r])=>`${r} ${l}`).join(", ")})`;return`**${M(c,"object")} ${c===1?"changes":"change"}**: ${t} added, ${n} removed, ${s} modified, ${a} unchanged; ${o}.`}function L(e){let t=(s,a,c)=>{let u=ne(a);if(!(!u&&!c))return`${s} ${u?d(u):""}${u&&c?" ":""}${c?`(${$(c)})`:""}`},n=[t("base",e.baseSha,e.baseRef),t("head",e.headSha,e.headRef)].filter(s=>s!==void 0);return`<sub>${n.length?`${n.join(" \u2192 ")} \xB7 `:""}rendered by thanos-gitops</sub>`}function U(e){return e==="high"?"CAUTION":"WARNING"}function x(e,t,n=1/0){if(e.length===0)return"";if(t==="full")return e.map(o=>[`> [!${U(o.severity)}]`,`> **${d(o.object)}** \xB7 ${d(o.id)} (${o.severity}): ${m(o.message)}`,`> **What to do:** ${m(o.action)}`,...o.source?[`> **Source:** ${D(o.source)}`]:[]].join(`
`)).join(`

`);let s=new Map;for(let o of e){let l=`${o.severity}\0${o.id}`;s.set(l,[...s.get(l)??[],o])}let a=[],c=0,u=0;for(let o of s.values()){let l=o[0],r=t==="compact"&&l.source?` (${D(l.source)})`:"",p=[`> [!${U(l.severity)}]`,`> ${d(l.id)} (${l.severity}, ${M(o.length,"object")}). **What to do:** ${m(l.action,300)}${r}`];if(t==="compact")for(let g of o)p.push(`> - ${d(g.object)}: ${m(g.message,240)}`);else p.push(`> ${o.map(g=>d(g.object)).join(", ")}`);let h=p.join(`
`);if(c+h.length+2>n)break;a.push(h),c+=h.length+2,u+=o.length}return u<e.length&&a.push(`> [!CAUTION]
> ${e.length-u} more risks did not fit; they are listed in the full report.`),a.join(`

`)}function D(e){let t=/^https:\/\/[^\s()<>]+$/.test(e.url)?e.url:"";return t?`[${m(e.label).replace(/[[\]]/g,"")}](${t})`:m(e.label)}function S(e){return m(e).replace(/\|/g,"\\|")}var te={rolls:"rolls",reloads:"reloads in place",flushes:"flushes heads","restart-needed":"needs a restart",created:"created",deleted:"deleted",scaled:"scaled"};function se(e){return!e||e.length===0?"":["#### Restart impact","","| Workload | Pods | Effect | Order | Why |","|---|---|---|---|---|",...e.map(n=>`| ${S(n.object)} | ${n.pods.base} \u2192 ${n.pods.head} | ${te[n.effect]} | ${S(n.order)} | ${S(n.reason)}${n.source?` (${D(n.source)})`:""} |`)].join(`
`)}function re(e){return e%1e3===0?`${e/1e3}`:`${e}m`}function B(e){if(e===0)return"0";for(let[t,n]of[["Ti",2**40],["Gi",2**30],["Mi",2**20],["Ki",2**10]])if(e>=n)return`${Number((e/n).toFixed(2))}${t}`;return`${e}`}function I(e,t,n){if(e===t)return n(t);let s=t-e;return`${n(e)} \u2192 ${n(t)} (${s>0?"+":"\u2212"}${n(Math.abs(s))})`}function oe(e){let t=(e??[]).filter(s=>JSON.stringify(s.base)!==JSON.stringify(s.head));return t.length===0?"":["#### Requested capacity","","| Component | Pods | CPU | Memory | PVC storage |","|---|---|---|---|---|",...t.map(s=>`| ${S(s.component)} | ${I(s.base.pods,s.head.pods,String)} | ${I(s.base.cpuMillis,s.head.cpuMillis,re)} | ${I(s.base.memoryBytes,s.head.memoryBytes,B)} | ${I(s.base.storageBytes,s.head.storageBytes,B)} |`)].join(`
`)}function ie(e){return!e||e.length===0?"":["#### Stack validation (head)","",...e.map(n=>`- **${n.severity}** ${d(n.id)} ${d(n.object)}${n.option?` (${d(n.option)})`:""}: ${m(n.message)}. **Fix:** ${m(n.fix)}${n.source?` (${D(n.source)})`:""}`)].join(`
`)}function z(e){return[ie(e.issues),se(e.forecast),oe(e.capacity)].filter(Boolean).join(`

`)}function ae(){return`| Kind | Name | Change | Lines |
|---|---|---|---|`}function ce(e){return`| ${$(e.kind)} | ${$(C(e))} | ${e.change} | +${e.additions} / -${e.deletions} |`}function G(e,t=1/0){let n=[ae()],s=n[0].length,a=120,c=0;for(let u of e){let o=ce(u);if(s+o.length+1+a>t)break;n.push(o),s+=o.length+1,c++}return c<e.length&&n.push(`
_\u2026and ${e.length-c} more changed objects; the full report lists them all._`),n.join(`
`)}function le(e){let t=Math.max(2,...(e.match(/`{3,}/g)??[]).map(n=>n.length));return"`".repeat(t+1)}function w(e,t){let n=le(t),s=t.endsWith(`
`)?t:`${t}
`;return[`<details><summary><code>${$(e.kind)} ${$(C(e))}</code> ${e.change} (+${e.additions} / -${e.deletions})</summary>`,"",`${n}diff`,`${s}${n}`,"","</details>"].join(`
`)}function fe(e,t){let n=e.replace(/\n$/,"").split(`
`),s=[],a=0;for(let c of n){if(a+c.length+1>t)break;s.push(c),a+=c.length+1}return s.length===n.length?e:`${s.join(`
`)}
... ${n.length-s.length} more lines cut; see the full report
`}function P(e){return`- ${d(`${e.kind} ${C(e)}`)} ${e.change} (+${e.additions} / -${e.deletions}): diff only in the full report`}function ue(e){return w(e,"").length+80}function ge(e,t,n){let s=[...e].sort((i,f)=>Number(n.has(A(i)))-Number(n.has(A(f)))||f.patch.length-i.patch.length),a=new Set,c=Math.floor(t*.3),u=new Map(e.map(i=>[i,ue(i)+2])),o=[...e].sort((i,f)=>i.patch.length-f.patch.length),l=e.reduce((i,f)=>i+u.get(f),0),r=e.reduce((i,f)=>i+f.patch.length,0),p=0,h=1/0;for(let i=0;i<=s.length;i++){if(i>0){let y=s[i-1];a.add(y),l-=u.get(y),r-=y.patch.length,p=Math.min(c,p+P(y).length+1)}let f=t-p-200-l;if(f<0)continue;if(r<=f){h=1/0;break}let V=s.length-i,F=0,_=0,E=0;for(let y of o){if(a.has(y))continue;let O=Math.floor((f-F)/(V-_));if(O<=y.patch.length){E=O;break}F+=y.patch.length,_++}if(E>=Q){h=E;break}i===s.length&&(h=0)}let g=[],b=[],k=0;for(let i of e)if(!a.has(i)&&h>0){let f=w(i,h===1/0?i.patch:fe(i.patch,h));g.push(f),k+=f.length+2}else a.add(i);let v=0,R=0;for(let i of e){if(!a.has(i))continue;let f=P(i);if(k+f.length+1+160>t||g.length>0&&R+f.length>c)break;b.push(f),k+=f.length+1,R+=f.length+1,v++}let j=[...g];if(a.size>0){let i=a.size-v,f=[...b];i>0&&f.push(`- \u2026and ${M(i,"more object")} whose diff is only in the full report`),j.push(`Diffs that did not fit in this comment:

${f.join(`
`)}`)}return j.join(`

`)}function he(e,t){return[T(t.environment),N(t),"",`**No changes.** The manifests for ${d(t.environment)} are the same on both sides (${M(e.counts.unchanged,"object")} compared).`,"",L(t),""].join(`
`)}function H(e){return e.entries.filter(t=>t.change!=="unchanged")}function K(e,t){let n=H(e);return n.length===0?he(e,t):`${[`${T(t.environment)}
${N(t)}`,W(e),x(e.risks,"full"),z(e),G(n),n.map(a=>w(a,a.patch)).join(`

`),L(t)].filter(Boolean).join(`

`)}
`}function de(e,t,n={}){let s=Math.min(n.maxLength??J,Number.MAX_SAFE_INTEGER),a=K(e,t);if(a.length<=s)return a;let c=H(e),u=`${T(t.environment)}
${N(t)}

${W(e)}`,o=`> [!NOTE]
> This comment is shortened to fit GitHub's size limit. The full report is in ${t.fullReportHint??ee}.`,l=L(t),p=u.length+o.length+l.length+40,h="";for(let i of["full","compact","minimal"])if(h=x(e.risks,i,i==="minimal"?Math.max(0,s-p-200):1/0),p+h.length<=s*.6)break;let g=s-p-h.length,b=z(e);b.length>g*.3&&(b=""),g-=b.length+(b?2:0);let k=g>400?G(c,Math.floor(g*.4)):"";g-=k.length+4;let v=g>300?ge(c,g,new Set(e.risks.map(i=>i.object))):"",R=`${[u,o,h,b,k,v,l].filter(Boolean).join(`

`)}
`;if(R.length<=s)return R;let j=`${[u,o,x(e.risks,"minimal",Math.max(0,s-p-100))].join(`

`)}
`;return j.length<=s?j:`${u.slice(0,s-1)}
`}export{Y as a,q as b,K as c,de as d};
