import type { Command } from '../command.js';
import { renderCommand } from './render.js';
import { validateCommand } from './validate.js';
import { diffCommand } from './diff.js';
import { planCommand } from './plan.js';
import { applyCommand } from './apply.js';
import { reconcileCommand } from './reconcile.js';
import { historyCommand } from './history.js';
import { rollbackCommand } from './rollback.js';
import { rbacCommand } from './rbac.js';
import { eksTokenCommand } from './eks-token.js';
import { rotateCommand } from './rotate.js';
import { tenantConfigCommand } from './tenant-config.js';

/** Every CLI command, in the order `--help` lists them. Add a command by importing it here. */
export const commands: Command[] = [renderCommand, validateCommand, diffCommand, planCommand, applyCommand, reconcileCommand, historyCommand, rollbackCommand, eksTokenCommand, rbacCommand, rotateCommand, tenantConfigCommand];
