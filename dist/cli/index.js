#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
var s=[22,15],[o=0,r=0]=process.versions.node.split(".").map(Number);if(o<s[0]||o===s[0]&&r<s[1])process.stderr.write(`thanos-gitops requires Node >= ${s.join(".")}; this is Node ${process.versions.node} (${process.execPath}). Install Node 22.15 or later (or 24), or run it with 'npx thanos-gitops' in a checkout after 'npm ci'.
`),process.exitCode=1;else{let{runProcess:e}=await import("./main.js");await e()}
