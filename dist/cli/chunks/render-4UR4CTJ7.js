#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{g as a,h as b,i as c,j as d,k as e,l as f}from"./chunk-3Y5ER6DD.js";import"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{d as rejectPositionals,f as renderCommand,a as sourceFlagOptions,b as sourceFlagsUsage,c as sourceSpecFromFlags,e as withDebugStack};
