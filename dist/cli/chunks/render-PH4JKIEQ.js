#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a,b,c,m as d}from"./chunk-3XMINBVP.js";import"./chunk-KXLZP5AY.js";import"./chunk-UYBQ5NVI.js";import"./chunk-5BYZYU6P.js";export{c as jsonnetToString,b as manifestYamlDoc,d as renderStack,a as toKubeYaml};
