#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import"./chunk-VG3ULL4Y.js";import{a,b,c,h as d}from"./chunk-T5LD75EG.js";import"./chunk-O2IRORHY.js";import"./chunk-JTNXE2ZD.js";import"./chunk-VLMP2DE5.js";import"./chunk-5BYZYU6P.js";export{c as jsonnetToString,b as manifestYamlDoc,d as renderStack,a as toKubeYaml};
