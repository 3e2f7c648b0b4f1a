#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
function X(e,t){let n=(r,a)=>({...r!==void 0?{ref:r}:{},...a!==void 0?{sha:a}:{}});return{schemaVersion:1,environment:t.environment,base:n(t.baseRef,t.baseSha),head:n(t.headRef,t.headSha),counts:e.counts,objects:e.entries.map(r=>({id:r.id,kind:r.kind,namespace:r.namespace,name:r.name,change:r.change,additions:r.additions,deletions:r.deletions,patch:r.patch})),risks:e.risks.map(r=>({id:r.id,severity:r.severity,object:r.object,message:r.message,action:r.action,source:r.source??null})),forecast:e.forecast??[],capacity:e.capacity??[],issues:e.issues??[],order:e.order??null}}function Y(e,t){return`${JSON.stringify(X(e,t),null,2)}
`}function q(e,t){let n=s=>s.replace(/[\r\n]+/g," "),{added:r,removed:a,modified:c,unchanged:f}=e.counts,o=[`# thanos-gitops diff for ${n(t.environment)}: ${r} added, ${a} removed, ${c} modified, ${f} unchanged; ${e.risks.length} risk${e.risks.length===1?"":"s"}`];for(let s of e.risks)o.push(`# [${s.severity}] ${s.id} ${n(s.object)}: ${n(s.message)}`),o.push(`#   what to do: ${n(s.action)}${s.source?` (${s.source.label}: ${s.source.url})`:""}`);for(let s of e.issues??[])o.push(`# ${s.severity}: ${s.id} ${n(s.object)}: ${n(s.message)}; fix: ${n(s.fix)}`);e.order?.refused&&o.push(`# order: refused: ${n(e.order.refused)}`);for(let s of e.order?.steps??[])o.push(`# order: ${n(s)}`);for(let s of e.forecast??[])o.push(`# restart: ${n(s.object)} (${s.pods.base} -> ${s.pods.head} pods) ${s.effect}: ${n(s.order)}; ${n(s.reason)}`);let l=e.entries.filter(s=>s.change!=="unchanged").map(s=>s.patch.endsWith(`
`)?s.patch:`${s.patch}
`);return`${o.join(`
`)}
${l.join("")}`}var Z=/[&<>"'`*_~[\]|\\!$]/g;function m(e){return e.replace(/[\r\n\u2028\u2029]+/g," ").replace(Z,t=>`&#${t.charCodeAt(0)};`)}function d(e){let t=e.replace(/[\r\n\u2028\u2029]+/g," "),n=m(t);return n===t?`\`${t}\``:`<code>${n}</code>`}var J=6e4,Q=600,ee="this workflow run's job summary and the file named by the `report-path` output";function D(e){return`<!-- thanos-gitops:${e.replace(/[^A-Za-z0-9._/:-]/g,"_").replace(/-{2,}/g,"-")} -->`}function ne(e){return e?e.slice(0,12):void 0}function $(e,t=1/0){let n=e.replace(/[\r\n]+/g," ");return(n.length>t?`${n.slice(0,t-1)}\u2026`:n).split(/`([^`]*)`/).map((a,c)=>c%2===1?`<code>${m(a)}</code>`:m(a)).join("")}function M(e,t){return`${e} ${t}${e===1?"":"s"}`}function C(e){return e.namespace?`${e.namespace}/${e.name}`:e.name}function _(e){return`${e.kind} ${C(e)}`}function x(e){return`### ${e.title??`thanos-gitops diff for ${d(e.environment)}`}`}function W(e){let{added:t,removed:n,modified:r,unchanged:a}=e.counts,c=t+n+r,f=l=>e.risks.filter(s=>s.severity===l).length,o=e.risks.length===0?"no risks flagged":`**${M(e.risks.length,"risk")}** (${["high","medium","low"].map(l=>[l,f(l)]).filter(([,l])=>l>0).map(([l,s])=>`${s} ${l}`).join(", ")})`;return`**${M(c,"object")} ${c===1?"changes":"change"}**: ${t} added, ${n} removed, ${r} modified, ${a} unchanged; ${o}.`}function w(e){let t=(r,a,c)=>{let f=ne(a);if(!(!f&&!c))return`${r} ${f?d(f):""}${f&&c?" ":""}${c?`(${m(c)})`:""}`},n=[t("base",e.baseSha,e.baseRef),t("head",e.headSha,e.headRef)].filter(r=>r!==void 0);return`<sub>${n.length?`${n.join(" \u2192 ")} \xB7 `:""}rendered by thanos-gitops</sub>`}function U(e){return e==="high"?"CAUTION":"WARNING"}function O(e,t,n=1/0){if(e.length===0)return"";if(t==="full")return e.map(o=>[`> [!${U(o.severity)}]`,`> **${d(o.object)}** \xB7 ${d(o.id)} (${o.severity}): ${$(o.message)}`,`> **What to do:** ${$(o.action)}`,...o.source?[`> **Source:** ${S(o.source)}`]:[]].join(`
`)).join(`

`);let r=new Map;for(let o of e){let l=`${o.severity}\0${o.id}`;r.set(l,[...r.get(l)??[],o])}let a=[],c=0,f=0;for(let o of r.values()){let l=o[0],s=t==="compact"&&l.source?` (${S(l.source)})`:"",g=[`> [!${U(l.severity)}]`,`> ${d(l.id)} (${l.severity}, ${M(o.length,"object")}). **What to do:** ${$(l.action,300)}${s}`];if(t==="compact")for(let p of o)g.push(`> - ${d(p.object)}: ${$(p.message,240)}`);else g.push(`> ${o.map(p=>d(p.object)).join(", ")}`);let h=g.join(`
`);if(c+h.length+2>n)break;a.push(h),c+=h.length+2,f+=o.length}return f<e.length&&a.push(`> [!CAUTION]
> ${e.length-f} more risks did not fit; they are listed in the full report.`),a.join(`

`)}function S(e){let t=/^https:\/\/[^\s()<>]+$/.test(e.url)?e.url:"";return t?`[${$(e.label).replace(/[[\]]/g,"")}](${t})`:$(e.label)}function T(e){return $(e).replace(/\|/g,"\\|")}var te={rolls:"rolls",reloads:"reloads in place",flushes:"flushes heads","restart-needed":"needs a restart",created:"created",deleted:"deleted",scaled:"scaled"};function re(e){return!e||e.length===0?"":["#### Restart impact","","| Workload | Pods | Effect | Order | Why |","|---|---|---|---|---|",...e.map(n=>`| ${T(n.object)} | ${n.pods.base} \u2192 ${n.pods.head} | ${te[n.effect]} | ${T(n.order)} | ${T(n.reason)}${n.source?` (${S(n.source)})`:""} |`)].join(`
`)}function se(e){return e%1e3===0?`${e/1e3}`:`${e}m`}function B(e){if(e===0)return"0";for(let[t,n]of[["Ti",2**40],["Gi",2**30],["Mi",2**20],["Ki",2**10]])if(e>=n)return`${Number((e/n).toFixed(2))}${t}`;return`${e}`}function I(e,t,n){if(e===t)return n(t);let r=t-e;return`${n(e)} \u2192 ${n(t)} (${r>0?"+":"\u2212"}${n(Math.abs(r))})`}function oe(e){let t=(e??[]).filter(r=>JSON.stringify(r.base)!==JSON.stringify(r.head));return t.length===0?"":["#### Requested capacity","","| Component | Pods | CPU | Memory | PVC storage |","|---|---|---|---|---|",...t.map(r=>`| ${T(r.component)} | ${I(r.base.pods,r.head.pods,String)} | ${I(r.base.cpuMillis,r.head.cpuMillis,se)} | ${I(r.base.memoryBytes,r.head.memoryBytes,B)} | ${I(r.base.storageBytes,r.head.storageBytes,B)} |`)].join(`
`)}function ie(e){return!e||e.length===0?"":["#### Stack validation (head)","",...e.map(n=>`- **${n.severity}** ${d(n.id)} ${d(n.object)}${n.option?` (${d(n.option)})`:""}: ${$(n.message)}. **Fix:** ${$(n.fix)}${n.source?` (${S(n.source)})`:""}`)].join(`
`)}function ae(e){if(!e||e.steps.length===0&&!e.refused)return"";let t=["#### Order of the apply",""];e.refused?t.push(`> [!CAUTION]
> ${$(e.refused)}`):t.push("The ingestor ring changes, so apply runs these steps in this order (`apply --no-order` applies everything at once):","",...e.steps.map(n=>$(n)));for(let n of e.warnings)t.push("",`- **warning** ${$(n)}`);return t.join(`
`)}function z(e){return[ae(e.order),ie(e.issues),re(e.forecast),oe(e.capacity)].filter(Boolean).join(`

`)}function ce(){return`| Kind | Name | Change | Lines |
|---|---|---|---|`}function le(e){return`| ${m(e.kind)} | ${m(C(e))} | ${e.change} | +${e.additions} / -${e.deletions} |`}function G(e,t=1/0){let n=[ce()],r=n[0].length,a=120,c=0;for(let f of e){let o=le(f);if(r+o.length+1+a>t)break;n.push(o),r+=o.length+1,c++}return c<e.length&&n.push(`
_\u2026and ${e.length-c} more changed objects; the full report lists them all._`),n.join(`
`)}function ue(e){let t=Math.max(2,...(e.match(/`{3,}/g)??[]).map(n=>n.length));return"`".repeat(t+1)}function N(e,t){let n=ue(t),r=t.endsWith(`
`)?t:`${t}
`;return[`<details><summary><code>${m(e.kind)} ${m(C(e))}</code> ${e.change} (+${e.additions} / -${e.deletions})</summary>`,"",`${n}diff`,`${r}${n}`,"","</details>"].join(`
`)}function fe(e,t){let n=e.replace(/\n$/,"").split(`
`),r=[],a=0;for(let c of n){if(a+c.length+1>t)break;r.push(c),a+=c.length+1}return r.length===n.length?e:`${r.join(`
`)}
... ${n.length-r.length} more lines cut; see the full report
`}function P(e){return`- ${d(`${e.kind} ${C(e)}`)} ${e.change} (+${e.additions} / -${e.deletions}): diff only in the full report`}function pe(e){return N(e,"").length+80}function he(e,t,n){let r=[...e].sort((i,u)=>Number(n.has(_(i)))-Number(n.has(_(u)))||u.patch.length-i.patch.length),a=new Set,c=Math.floor(t*.3),f=new Map(e.map(i=>[i,pe(i)+2])),o=[...e].sort((i,u)=>i.patch.length-u.patch.length),l=e.reduce((i,u)=>i+f.get(u),0),s=e.reduce((i,u)=>i+u.patch.length,0),g=0,h=1/0;for(let i=0;i<=r.length;i++){if(i>0){let y=r[i-1];a.add(y),l-=f.get(y),s-=y.patch.length,g=Math.min(c,g+P(y).length+1)}let u=t-g-200-l;if(u<0)continue;if(s<=u){h=1/0;break}let V=r.length-i,A=0,L=0,E=0;for(let y of o){if(a.has(y))continue;let F=Math.floor((u-A)/(V-L));if(F<=y.patch.length){E=F;break}A+=y.patch.length,L++}if(E>=Q){h=E;break}i===r.length&&(h=0)}let p=[],b=[],k=0;for(let i of e)if(!a.has(i)&&h>0){let u=N(i,h===1/0?i.patch:fe(i.patch,h));p.push(u),k+=u.length+2}else a.add(i);let v=0,R=0;for(let i of e){if(!a.has(i))continue;let u=P(i);if(k+u.length+1+160>t||p.length>0&&R+u.length>c)break;b.push(u),k+=u.length+1,R+=u.length+1,v++}let j=[...p];if(a.size>0){let i=a.size-v,u=[...b];i>0&&u.push(`- \u2026and ${M(i,"more object")} whose diff is only in the full report`),j.push(`Diffs that did not fit in this comment:

${u.join(`
`)}`)}return j.join(`

`)}function de(e,t){return[D(t.environment),x(t),"",`**No changes.** The manifests for ${d(t.environment)} are the same on both sides (${M(e.counts.unchanged,"object")} compared).`,"",w(t),""].join(`
`)}function H(e){return e.entries.filter(t=>t.change!=="unchanged")}function K(e,t){let n=H(e);return n.length===0?de(e,t):`${[`${D(t.environment)}
${x(t)}`,W(e),O(e.risks,"full"),z(e),G(n),n.map(a=>N(a,a.patch)).join(`

`),w(t)].filter(Boolean).join(`

`)}
`}function ge(e,t,n={}){let r=Math.min(n.maxLength??J,Number.MAX_SAFE_INTEGER),a=K(e,t);if(a.length<=r)return a;let c=H(e),f=`${D(t.environment)}
${x(t)}

${W(e)}`,o=`> [!NOTE]
> This comment is shortened to fit GitHub's size limit. The full report is in ${t.fullReportHint??ee}.`,l=w(t),g=f.length+o.length+l.length+40,h="";for(let i of["full","compact","minimal"])if(h=O(e.risks,i,i==="minimal"?Math.max(0,r-g-200):1/0),g+h.length<=r*.6)break;let p=r-g-h.length,b=z(e);b.length>p*.3&&(b=""),p-=b.length+(b?2:0);let k=p>400?G(c,Math.floor(p*.4)):"";p-=k.length+4;let v=p>300?he(c,p,new Set(e.risks.map(i=>i.object))):"",R=`${[f,o,h,b,k,v,l].filter(Boolean).join(`

`)}
`;if(R.length<=r)return R;let j=`${[f,o,O(e.risks,"minimal",Math.max(0,r-g-100))].join(`

`)}
`;return j.length<=r?j:`${f.slice(0,r-1)}
`}export{Y as a,q as b,K as c,ge as d};
