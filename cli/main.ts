// The xenwasm command line: a commander program whose subcommands are the files of cli/commands/,
// each exporting `register(program)`; adding a subcommand is adding one file there.
// Exit codes shared by all subcommands: 0 success, 1 the guest crashed, 2 usage or load error.
import { readdirSync, readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('xenwasm')
  .description('A Xen PV hypervisor on an x86 interpreter in WebAssembly: boots PV kernels headless.')
  .version(pkg.version)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'xenwasm: ')) });

const commandsDir = new URL('./commands/', import.meta.url);
for (const file of readdirSync(commandsDir).filter((f) => f.endsWith('.ts')).sort()) {
  const mod = (await import(new URL(file, commandsDir).href)) as { register(program: Command): void };
  mod.register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  // Help and version end with 0; every usage error with 2 (commander already printed the reason).
  process.exitCode = e.exitCode === 0 ? 0 : 2;
}
