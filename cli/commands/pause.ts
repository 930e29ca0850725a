// `stashflow pause|resume <namespace>/<backupconfiguration>`: merge-patches spec.paused. The watcher sees the change
// and pauses (or unpauses) the configuration's Temporal Schedule; running sessions go on.
import type { BackupConfiguration } from '../../api/types.js';
import { getObject, patchObject } from '../../lib/objects.js';
import {
  CommandFailure,
  EXIT,
  UsageError,
  connect,
  parseCommandArgs,
  parseRef,
  runCommand,
  stdio,
  type CommandIO,
} from './common.js';

export const pauseUsage = (
  verb: 'pause' | 'resume',
) => `usage: stashflow ${verb} <namespace>/<backupconfiguration> [--kubeconfig FILE]

${verb === 'pause' ? 'Pauses the scheduled backups of a BackupConfiguration (sets spec.paused: true)' : 'Resumes the scheduled backups of a BackupConfiguration (sets spec.paused: false)'}.
Exit codes: 0 done, 1 not found or no cluster access, 2 usage error.
`;

export async function setPaused(verb: 'pause' | 'resume', argv: string[], io: CommandIO = stdio): Promise<number> {
  const usage = pauseUsage(verb);
  return runCommand(verb, usage, io, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(usage);
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected one <namespace>/<backupconfiguration>');
    const ref = parseRef(positionals[0], values.namespace, 'backupconfiguration');
    const kube = connect(values.kubeconfig);
    const bc = await getObject<BackupConfiguration>(kube, 'BackupConfiguration', ref.namespace, ref.name);
    if (!bc) throw new CommandFailure(`BackupConfiguration ${ref.namespace}/${ref.name} not found`);
    const paused = verb === 'pause';
    if (!!bc.spec.paused === paused) {
      io.out(`BackupConfiguration ${ref.namespace}/${ref.name} already ${paused ? 'paused' : 'running (not paused)'}\n`);
      return EXIT.ok;
    }
    await patchObject(kube, 'BackupConfiguration', ref.namespace, ref.name, { spec: { paused } });
    io.out(`BackupConfiguration ${ref.namespace}/${ref.name} ${paused ? 'paused' : 'resumed'}\n`);
    return EXIT.ok;
  });
}
