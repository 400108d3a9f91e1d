// The bosun command: operate a Bosun installation (and run its standalone tools).
import { Command } from 'commander';
import { commandModules } from './commands';

const main = async (): Promise<void> => {
  const program = new Command('bosun').description('Bosun: networking control plane (LB IPAM, BGP, L2 announcements, Gateway API, policy)');
  for (const load of commandModules) (await load()).register(program);
  await program.parseAsync(process.argv);
};

main().catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
