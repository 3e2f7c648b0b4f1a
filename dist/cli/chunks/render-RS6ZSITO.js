#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{h as a,i as b,j as c,k as d,l as e,m as f}from"./chunk-ZMPCRBOY.js";import"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{d as rejectPositionals,f as renderCommand,a as sourceFlagOptions,b as sourceFlagsUsage,c as sourceSpecFromFlags,e as withDebugStack};
