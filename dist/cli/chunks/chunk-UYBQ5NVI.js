#!/usr/bin/env node
import { createRequire as __tgCreateRequire } from 'node:module'; const require = __tgCreateRequire(import.meta.url);
var e=class extends Error{name="ThanosGitopsError"};export{e as a};
