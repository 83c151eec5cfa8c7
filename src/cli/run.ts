import { main, processIo } from './main.js';

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`teleclaude-db: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
