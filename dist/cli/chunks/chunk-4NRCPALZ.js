#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as e}from"./chunk-UYBQ5NVI.js";var o=class extends e{name="UsageError"};async function i(t,n){try{return await n()}catch(r){throw process.env.THANOS_GITOPS_DEBUG==="1"&&r instanceof Error&&r.stack&&t.stderr(`${r.stack}
`),r}}export{o as a,i as b};
