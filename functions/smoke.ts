// A tiny real function: proves a Job pod runs our CLI, sees its env, and reports through the termination message.
import { hostname } from 'node:os';
import { writeTerminationMessage } from './termination.js';

export function runSmoke(message: string): void {
  const result = {
    function: 'smoke',
    message,
    hostname: hostname(),
    pod: process.env.POD_NAME ?? null,
    at: new Date().toISOString(),
  };
  console.log(JSON.stringify({ progress: 'done', ...result }));
  writeTerminationMessage(result);
}
