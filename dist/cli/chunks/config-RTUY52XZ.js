#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import"./chunk-ZUQJO23N.js";import{B as c,C as d,D as e,E as f,F as g,G as h,H as i,I as j,J as k,o as a,p as b}from"./chunk-KXLZP5AY.js";import"./chunk-UYBQ5NVI.js";import"./chunk-5BYZYU6P.js";export{e as API_VERSION,d as COMPONENT_KEYS,b as ConfigError,f as KIND,c as componentOptions,i as configSource,a as formatIssue,k as loadStackConfig,j as parseStackConfig,h as resolveStack,g as stackConfigSchema};
