// `sppo doctor [--json]`: runtime, the backends and which one `auto` would choose.
import type { Command } from 'commander';
import { doctorReport, formatDoctor } from '../doctor.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('report the runtime, WebGPU adapter (vendor, architecture, features, limits) and backends')
    .option('--json', 'one JSON document on stdout')
    .action(async (opts: { json?: boolean }) => {
      const report = await doctorReport();
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report));
      // dawn.node keeps the process alive while an instance exists
      process.exit(0);
    });
}
