import type { Command } from '../command.js';
import { planCommand } from './plan.js';
import { applyCommand } from './apply.js';
import { reconcileCommand } from './reconcile.js';
import { historyCommand } from './history.js';
import { rollbackCommand } from './rollback.js';
import { rbacCommand } from './rbac.js';
import { eksTokenCommand } from './eks-token.js';

/** Every CLI command, in the order `--help` lists them. Add a command by importing it here. */
export const commands: Command[] = [planCommand, applyCommand, reconcileCommand, historyCommand, rollbackCommand, eksTokenCommand, rbacCommand];
