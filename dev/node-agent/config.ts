// Settings of the node agent, read once from the environment that dev/node-agent/start.sh sets.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AgentConfig {
  nodeName: string;
  /** Repository root (images.json maps our image to <repo>/dist/cli/main.js). */
  repoRoot: string;
  stackDir: string;
  /** Where pods, volumes, logs and the agent's own state live: $STACK_DIR/node-agent. */
  dataDir: string;
  /** Kubeconfig of the node identity (CN=system:node:<nodeName>, O=system:nodes). */
  nodeKubeconfig: string;
  /** Kubeconfig for the cluster add-on stand-ins (PV provisioner, service DNS); admin here. */
  addonKubeconfig: string;
  port: number;
  servingCert: string;
  servingKey: string;
  /** CA that signs the apiserver's kubelet client certificate (optional: without it any client cert is refused). */
  clientCA: string | undefined;
  apiserverHost: string;
  apiserverPort: string;
  hostsFile: string;
  /** PATH given to container processes. */
  containerPath: string;
}

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the node agent');
    dir = up;
  }
  return dir;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const repoRoot = findRepoRoot();
  const stackDir = resolve(env.STACK_DIR ?? join(repoRoot, '.stack'));
  const kubeDir = join(stackDir, 'kube');
  const clientCA = env.NODE_AGENT_CLIENT_CA ?? join(kubeDir, 'ca.crt');
  return {
    nodeName: env.NODE_NAME ?? 'stashflow-node',
    repoRoot,
    stackDir,
    dataDir: join(stackDir, 'node-agent'),
    nodeKubeconfig: env.NODE_AGENT_KUBECONFIG ?? join(kubeDir, 'node-agent.kubeconfig'),
    addonKubeconfig: env.NODE_AGENT_ADDON_KUBECONFIG ?? join(kubeDir, 'admin.kubeconfig'),
    port: Number(env.NODE_AGENT_PORT ?? 10250),
    servingCert: env.NODE_AGENT_SERVING_CERT ?? join(kubeDir, 'node-agent-serving.crt'),
    servingKey: env.NODE_AGENT_SERVING_KEY ?? join(kubeDir, 'node-agent-serving.key'),
    clientCA: existsSync(clientCA) ? clientCA : undefined,
    apiserverHost: '127.0.0.1',
    apiserverPort: env.KUBE_APISERVER_PORT ?? '6443',
    hostsFile: env.NODE_AGENT_HOSTS_FILE ?? '/etc/hosts',
    containerPath: [join(stackDir, 'bin'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
  };
}
