#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import"./chunk-VG3ULL4Y.js";import{f as a,g as b,h as c,m as d}from"./chunk-3BZUAN2C.js";import"./chunk-UENC2STG.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{c as jsonnetToString,b as manifestYamlDoc,d as renderStack,a as toKubeYaml};
