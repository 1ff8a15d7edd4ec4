import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../index.js';
import { EXIT } from './exit.js';
import { STARTER_SCENARIO } from './starter-scenario.js';

interface InitArgs {
  file: string;
  force: boolean;
}

export function initCommand(setExit: (code: number) => void): CommandModule<object, InitArgs> {
  return {
    command: 'init [file]',
    describe: 'Write a commented starter scenario',
    builder: (y) =>
      y
        .positional('file', { type: 'string', default: 'limitprobe.yaml', describe: 'Where to write it' })
        .option('force', { type: 'boolean', default: false, describe: 'Overwrite an existing file' }),
    handler: async (a) => {
      if (existsSync(a.file) && !a.force) {
        throw new ConfigError(`${a.file}: expected a path that does not exist yet, found an existing file (use --force to overwrite)`);
      }
      await writeFile(a.file, STARTER_SCENARIO);
      process.stdout.write(`wrote ${a.file} — run it with: limitprobe run ${a.file}\n`);
      setExit(EXIT.ok);
    },
  };
}
