#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import"./chunk-ZUQJO23N.js";import{a,b,h as c,i as d,j as e,k as f,l as g,m as h,n as i,o as j,p as k}from"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{e as API_VERSION,d as COMPONENT_KEYS,b as ConfigError,f as KIND,c as componentOptions,i as configSource,a as formatIssue,k as loadStackConfig,j as parseStackConfig,h as resolveStack,g as stackConfigSchema};
