#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{f as a,g as b,h as c,i as d,j as e,k as f}from"./chunk-DVCKBRWM.js";import"./chunk-FUZNJ3WM.js";import"./chunk-VG3ULL4Y.js";import"./chunk-EEUYN7US.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{d as rejectPositionals,f as renderCommand,a as sourceFlagOptions,b as sourceFlagsUsage,c as sourceSpecFromFlags,e as withDebugStack};
