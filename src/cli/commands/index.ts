import type { Command } from '../command.js';

/** Every CLI command, in the order `--help` lists them. Add a command by importing it here. */
export const commands: Command[] = [];
