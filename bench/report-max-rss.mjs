// Preloaded into a benchmark's child process (node --import): reports its peak RSS on exit.
process.on('exit', () => process.stderr.write(`\nmaxRSS_KB=${process.resourceUsage().maxRSS}\n`));
