#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{f as t}from"./chunk-FLW6G2IA.js";import"./chunk-DOFZPVIQ.js";import"./chunk-ZCTPQ47C.js";import"./chunk-AJ4ZEDYG.js";import{a as o,b as e,c as r}from"./chunk-4LE6XQ4C.js";import"./chunk-V5SYZP2B.js";import"./chunk-UYBQ5NVI.js";import"./chunk-HVOHA2BE.js";import"./chunk-5BYZYU6P.js";export{r as jsonnetToString,e as manifestYamlDoc,t as renderStack,o as toKubeYaml};
