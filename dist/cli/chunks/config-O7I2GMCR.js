#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import"./chunk-ZUQJO23N.js";import{c as a,d as b,o as c,p as d,q as e,r as f,s as g,t as h,u as i,v as j,w as k}from"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{e as API_VERSION,d as COMPONENT_KEYS,b as ConfigError,f as KIND,c as componentOptions,i as configSource,a as formatIssue,k as loadStackConfig,j as parseStackConfig,h as resolveStack,g as stackConfigSchema};
