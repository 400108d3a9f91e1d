import type { Command } from 'commander';

/**
 * Each area of the CLI lives in its own file here and exports `register(program)`.
 * Add yours to this list (one line).
 */
export type CommandModule = { register(program: Command): void };

export const commandModules: Array<() => Promise<CommandModule>> = [
  // e.g. () => import('./bgp'),
  () => import('./resources.js'),
  () => import('./suite.js'),
  () => import('./events.js'),
  () => import('./agent.js'),
  () => import('./bgp.js'),
  () => import('./l2.js'),
];
