#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a as f,b as g,c as h,d as i,e as j,f as k}from"./chunk-YKA5OYII.js";import"./chunk-SZLLNCM4.js";import{a,b,c,d,e}from"./chunk-IUJX3QMY.js";import"./chunk-7QOXPRIT.js";import"./chunk-UYBQ5NVI.js";import"./chunk-5BYZYU6P.js";export{a as InterruptedError,f as KubeApiError,k as KubeClient,g as KubeConnectionError,b as abortReason,i as describeKey,d as interrupted,h as isDryRunPath,j as keyOf,e as sleepUnlessInterrupted,c as uninterruptible};
