// Child process for the agent log tests: runs a LogForwarder with the options given as JSON in
// argv[2] until SIGTERM (or until the test kills it with SIGKILL).
import { LogForwarder, type LogForwarderOptions } from '../src/agent/index.js';
import { LogfmtLogger, Registry } from '../src/instrument/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as LogForwarderOptions;
const fwd = new LogForwarder({ ...opts, logger: new LogfmtLogger({ level: (process.env.VIGIL_AGENT_LOG_LEVEL ?? 'info') as 'info' }), registry: new Registry() });
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
process.stderr.write('agent-ready\n');
await fwd.run(ac.signal);
process.stderr.write('agent-stopped\n');
