#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,r as q}from"./chunk-7QOXPRIT.js";import"./chunk-5BYZYU6P.js";q();export{b as Agent,c as ClientRequest,d as IncomingMessage,e as METHODS,f as OutgoingMessage,g as STATUS_CODES,h as Server,i as ServerResponse,j as createServer,a as default,k as get,l as globalAgent,m as maxHeaderSize,n as request,o as validateHeaderName,p as validateHeaderValue};
