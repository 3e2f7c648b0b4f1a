#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
import{parseArgs as s}from"node:util";var r=class extends Error{name="UsageError"};function i(t,e){try{return s({args:t,options:{...e,help:{type:"boolean",short:"h"}},allowPositionals:!0,strict:!0})}catch(o){throw new r(o.message)}}export{r as a,i as b};
